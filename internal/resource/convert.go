package resource

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// converter turns a parsed YAML document into the values encoding/json would produce (map[string]any,
// []any, string, json.Number, bool, nil) for the schema validator, without going through JSON text. It
// records an Issue for what JSON cannot hold or YAML forbids: duplicate keys, non-string keys, custom
// tags, NaN and infinities.
type converter struct {
	doc    int
	path   []seg
	issues []Issue
}

// maxConvertDepth guards the recursion for nodes that did not come through ParseFile's limits.
const maxConvertDepth = 10_000

func (c *converter) add(n *yaml.Node, code, msg, hint string) {
	c.issues = append(c.issues, Issue{Document: c.doc, Line: n.Line, Path: renderPath(c.path), Message: msg, Hint: hint, Code: code})
}

func (c *converter) value(n *yaml.Node) any {
	if len(c.path) > maxConvertDepth {
		c.add(n, CodeTooDeep, "document is nested too deeply", "flatten the document")
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return c.value(n.Alias)
	case yaml.MappingNode:
		if !c.standardTag(n, "!!map") {
			return nil
		}
		return c.mapping(n)
	case yaml.SequenceNode:
		if !c.standardTag(n, "!!seq") {
			return nil
		}
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			c.path = append(c.path, seg{index: i, isIndex: true})
			out[i] = c.value(e)
			c.path = c.path[:len(c.path)-1]
		}
		return out
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil
}

// standardTag reports whether a collection carries its plain tag; custom tags are refused.
func (c *converter) standardTag(n *yaml.Node, want string) bool {
	if t := n.ShortTag(); t != want {
		c.add(n, CodeUnsupportedValue, fmt.Sprintf("YAML tag %s is not supported here", t), "remove the tag; Kubernetes objects use plain YAML maps, lists and scalars")
		return false
	}
	return true
}

func (c *converter) scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		switch n.Value {
		case "true", "True", "TRUE":
			return true
		case "false", "False", "FALSE":
			return false
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			c.add(n, CodeUnsupportedValue, fmt.Sprintf("%q is not a boolean", n.Value), "write true or false")
			return nil
		}
		return b
	case "!!int":
		if isJSONInteger(n.Value) {
			return json.Number(n.Value)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			c.add(n, CodeUnsupportedValue, fmt.Sprintf("%q is not an integer YAML can read", n.Value), "write the number in decimal")
			return nil
		}
		switch x := v.(type) {
		case int:
			return json.Number(strconv.FormatInt(int64(x), 10))
		case int64:
			return json.Number(strconv.FormatInt(x, 10))
		case uint64:
			return json.Number(strconv.FormatUint(x, 10))
		case float64:
			return c.float(n, x)
		}
		return json.Number(n.Value)
	case "!!float":
		if isJSONNumber(n.Value) {
			return json.Number(n.Value)
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			c.add(n, CodeUnsupportedValue, fmt.Sprintf("%q is not a number YAML can read", n.Value), "write the number in decimal")
			return nil
		}
		return c.float(n, f)
	case "!!merge":
		return n.Value
	}
	c.add(n, CodeUnsupportedValue, fmt.Sprintf("YAML tag %s is not supported here", n.ShortTag()), "remove the tag, or quote the value to make it a string")
	return nil
}

func (c *converter) float(n *yaml.Node, f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.add(n, CodeUnsupportedValue, fmt.Sprintf("%s is not a number JSON can hold", n.Value), "use a finite number, or quote it to make it a string")
		return nil
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// mapping converts a mapping. Explicit keys win over merged ones ("<<: *anchor"), as YAML merge keys say.
func (c *converter) mapping(n *yaml.Node) map[string]any {
	m := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		key, ok := c.key(k)
		if !ok {
			continue
		}
		if _, dup := m[key]; dup {
			first := firstKeyLine(n, key, i)
			c.issues = append(c.issues, Issue{
				Document: c.doc, Line: k.Line, Path: joinPath(c.path, key), Code: CodeDuplicateKey,
				Message: fmt.Sprintf("key %q appears twice, on lines %d and %d", key, first, k.Line),
				Hint:    "keep one of them; YAML does not allow a key twice in one mapping",
			})
		}
		c.path = append(c.path, seg{key: key})
		m[key] = c.value(v)
		c.path = c.path[:len(c.path)-1]
	}
	for _, src := range merges {
		for _, mm := range mergeSources(src) {
			if mm == nil {
				c.add(src, CodeUnsupportedValue, "a merge key (<<) must refer to a mapping or a list of mappings", "merge a mapping, or write the keys out")
				continue
			}
			sub := c.mapping(mm)
			for k, v := range sub {
				if _, ok := m[k]; !ok {
					m[k] = v
				}
			}
		}
	}
	return m
}

// key returns the string of a mapping key, recording an Issue for any other kind of key.
func (c *converter) key(k *yaml.Node) (string, bool) {
	if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!str" {
		return k.Value, true
	}
	msg := fmt.Sprintf("mapping key %q is %s, not a string", k.Value, tagWords(k.ShortTag()))
	hint := fmt.Sprintf("quote the key (\"%s\"); Kubernetes object keys are strings", k.Value)
	switch k.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		msg = "a mapping key is " + describeNode(k) + ", not a string"
		hint = "use a plain string as the key; Kubernetes object keys are strings"
	}
	c.issues = append(c.issues, Issue{
		Document: c.doc, Line: k.Line, Path: renderPath(c.path), Code: CodeNonStringKey, Message: msg, Hint: hint,
	})
	return "", false
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// mergeSources lists the mappings a merge key's value names; a nil entry marks something else.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, e := range v.Content {
			e = resolveAlias(e)
			if e.Kind != yaml.MappingNode {
				e = nil
			}
			out = append(out, e)
		}
		return out
	}
	return []*yaml.Node{nil}
}

func firstKeyLine(n *yaml.Node, key string, before int) int {
	for i := 0; i < before; i += 2 {
		if k := resolveAlias(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() == "!!str" {
			return k.Line
		}
	}
	return 0
}

// isJSONInteger reports whether s is a decimal integer JSON accepts as is.
func isJSONInteger(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// tagWords names a YAML core tag for people.
func tagWords(tag string) string {
	switch tag {
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	}
	return "tagged " + tag
}
