package resource

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/suggest"
)

// schemaIssues words one leaf error of the schema validator as Issues that name the field.
func schemaIssues(e *jsonschema.ValidationError, root *yaml.Node, doc int, id Identity, sch *jsonschema.Schema) []Issue {
	at := locate(root, e.InstanceLocation)
	path := renderPath(at.segs)
	schemaName := fmt.Sprintf("the %s %s/%s schema", id.Kind, id.Group, id.Version)
	mk := func(line int, p, code, msg, hint string) Issue {
		return Issue{Document: doc, Line: line, Path: p, Code: code, Message: msg, Hint: hint}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		out := make([]Issue, 0, len(k.Properties))
		for _, p := range k.Properties {
			line := at.line()
			if kn, _ := mapEntry(at.val, p); kn != nil {
				line = kn.Line
			}
			hint := "remove it, or check that apiVersion matches the schema it was written for (v1alpha2 vs v1beta1)"
			if path == "metadata" {
				hint = "remove it; metadata holds Kubernetes object metadata only (name, namespace, labels, annotations, ...)"
			}
			if s := suggest.Nearest(p, fieldsAt(sch, e.InstanceLocation)); s != "" {
				hint = fmt.Sprintf("did you mean %q? Otherwise %s", s, hint)
			}
			out = append(out, mk(line, path, CodeUnknownField, fmt.Sprintf("unknown field %q", p), hint))
		}
		return out
	case *kind.Required:
		out := make([]Issue, 0, len(k.Missing))
		for _, m := range k.Missing {
			out = append(out, mk(at.line(), joinPath(at.segs, m), CodeMissingField, "required field missing",
				fmt.Sprintf("add %s: %s requires it", joinPath(at.segs, m), schemaName)))
		}
		return out
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = typeName(w)
		}
		hint := fmt.Sprintf("change the value to %s", strings.Join(want, " or "))
		switch {
		case path == "status":
			hint = "remove status: the fabric controller fills it in (fgd leaves it out of managed files)"
		case k.Got == "null":
			hint = "give it a value, or remove the key (a key with nothing after the colon is null)"
		}
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must be %s, got %s", strings.Join(want, " or "), typeName(k.Got)), hint)}
	case *kind.Enum:
		allowed := make([]string, len(k.Want))
		for i, w := range k.Want {
			allowed[i] = fmt.Sprintf("%q", fmt.Sprint(w))
		}
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("%s is not one of the allowed values %s", shortValue(k.Got), strings.Join(allowed, ", ")),
			"use one of the allowed values")}
	case *kind.Pattern:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("%s does not match the pattern %s", shortValue(k.Got), k.Want),
			fmt.Sprintf("change the value to match %s", schemaName))}
	case *kind.Format:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("%s is not a valid %s: %v", shortValue(k.Got), k.Want, k.Err),
			fmt.Sprintf("use a value that fits %s", k.Want))}
	case *kind.MinItems:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must have at least %d item(s), got %d", k.Want, k.Got), "add items, or remove the field if it is optional")}
	case *kind.MaxItems:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must have at most %d item(s), got %d", k.Want, k.Got), "remove items")}
	case *kind.MinLength:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must be at least %d character(s) long, got %d", k.Want, k.Got), "lengthen the value")}
	case *kind.MaxLength:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must be at most %d character(s) long, got %d", k.Want, k.Got), "shorten the value")}
	case *kind.Minimum:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must be at least %s, got %s", k.Want.RatString(), k.Got.RatString()), "raise the value")}
	case *kind.Maximum:
		return []Issue{mk(at.line(), path, CodeSchema, fmt.Sprintf("must be at most %s, got %s", k.Want.RatString(), k.Got.RatString()), "lower the value")}
	}
	msg := e.ErrorKind.LocalizedString(message.NewPrinter(language.English))
	return []Issue{mk(at.line(), path, CodeSchema, msg, fmt.Sprintf("change the value to satisfy %s", schemaName))}
}

// typeName words a JSON Schema type for people.
func typeName(t string) string {
	switch t {
	case "object":
		return "an object"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "boolean":
		return "a boolean"
	}
	return t
}

func shortValue(v any) string {
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	s := fmt.Sprintf("%q", fmt.Sprint(v))
	if len(s) > 60 {
		s = s[:57] + "...\""
	}
	return s
}

// fieldsAt lists the fields the schema allows at an instance location (the
// object that holds an unknown field), for "did you mean". It follows
// properties, list items and allOf/anyOf/oneOf branches; nil when the
// location leads nowhere in the schema.
func fieldsAt(sch *jsonschema.Schema, loc []string) []string {
	if sch == nil {
		return nil
	}
	if len(loc) == 0 {
		var out []string
		collectFields(sch, &out, 0)
		return out
	}
	var out []string
	for _, next := range childSchemas(sch, loc[0], 0) {
		out = append(out, fieldsAt(next, loc[1:])...)
	}
	return out
}

// childSchemas are the schemas a child named seg (a field, or a list index)
// of an instance of sch is validated against.
func childSchemas(sch *jsonschema.Schema, seg string, depth int) []*jsonschema.Schema {
	if sch == nil || depth > 8 {
		return nil
	}
	var out []*jsonschema.Schema
	if p, ok := sch.Properties[seg]; ok {
		out = append(out, p)
	}
	if _, err := strconv.Atoi(seg); err == nil {
		if it, ok := sch.Items.(*jsonschema.Schema); ok {
			out = append(out, it)
		}
	}
	if ap, ok := sch.AdditionalProperties.(*jsonschema.Schema); ok && len(out) == 0 {
		out = append(out, ap)
	}
	for _, b := range slices.Concat(sch.AllOf, sch.AnyOf, sch.OneOf) {
		out = append(out, childSchemas(b, seg, depth+1)...)
	}
	if sch.Ref != nil {
		out = append(out, childSchemas(sch.Ref, seg, depth+1)...)
	}
	return out
}

// collectFields appends the property names of sch and its branches.
func collectFields(sch *jsonschema.Schema, out *[]string, depth int) {
	if sch == nil || depth > 8 {
		return
	}
	for name := range sch.Properties {
		*out = append(*out, name)
	}
	for _, b := range slices.Concat(sch.AllOf, sch.AnyOf, sch.OneOf) {
		collectFields(b, out, depth+1)
	}
	if sch.Ref != nil {
		collectFields(sch.Ref, out, depth+1)
	}
}
