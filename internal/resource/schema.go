package resource

import "fmt"

// This file turns a CRD's openAPIV3Schema into a JSON Schema (draft 4, the dialect OpenAPI 3.0 schemas
// are written in) that is strict the way `kubectl --validate=strict` is: unknown fields are errors.

// keptKeywords are the OpenAPI schema keywords JSON Schema validates the same way; every other keyword
// (description, default, example, x-kubernetes-*, ...) is dropped.
var keptKeywords = map[string]bool{
	"type": true, "enum": true, "pattern": true, "format": true, "required": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
	"minLength": true, "maxLength": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"minProperties": true, "maxProperties": true,
}

// toJSONSchema converts one OpenAPI v3 schema object (as decoded from YAML) to JSON Schema.
func toJSONSchema(in map[string]any, where string) (map[string]any, error) {
	out := make(map[string]any, len(in)+1)
	for k, v := range in {
		switch {
		case keptKeywords[k]:
			out[k] = v
		case k == "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: properties is %T, want a mapping", where, v)
			}
			conv := make(map[string]any, len(props))
			for name, p := range props {
				pm, ok := p.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s.%s: schema is %T, want a mapping", where, name, p)
				}
				c, err := toJSONSchema(pm, where+"."+name)
				if err != nil {
					return nil, err
				}
				conv[name] = c
			}
			out[k] = conv
		case k == "additionalProperties" || k == "items" || k == "not":
			switch x := v.(type) {
			case bool:
				out[k] = x
			case map[string]any:
				c, err := toJSONSchema(x, where+"."+k)
				if err != nil {
					return nil, err
				}
				out[k] = c
			default:
				return nil, fmt.Errorf("%s: %s is %T, want a schema", where, k, v)
			}
		case k == "allOf" || k == "anyOf" || k == "oneOf":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: %s is %T, want a list", where, k, v)
			}
			conv := make([]any, 0, len(list))
			for i, e := range list {
				em, ok := e.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s.%s[%d]: schema is %T, want a mapping", where, k, i, e)
				}
				c, err := toJSONSchema(em, fmt.Sprintf("%s.%s[%d]", where, k, i))
				if err != nil {
					return nil, err
				}
				conv = append(conv, c)
			}
			out[k] = conv
		}
	}
	if in["x-kubernetes-int-or-string"] == true {
		out["type"] = []any{"integer", "string"}
		delete(out, "format")
	}
	if in["nullable"] == true {
		switch t := out["type"].(type) {
		case string:
			out["type"] = []any{t, "null"}
		case []any:
			out["type"] = append(t, "null")
		}
		if e, ok := out["enum"].([]any); ok {
			out["enum"] = append(e, nil)
		}
	}
	_, hasProps := out["properties"]
	_, hasAdditional := out["additionalProperties"]
	if hasProps && !hasAdditional && in["x-kubernetes-preserve-unknown-fields"] != true {
		out["additionalProperties"] = false
	}
	return out, nil
}

// objectMetaSchema is the JSON Schema of the Kubernetes ObjectMeta fields a manifest may carry. The CRDs
// say only `metadata: {type: object}`; the API server knows the real shape, and so must fgd to reject
// unknown metadata fields. Fields the server fills in are accepted (and removed when normalizing).
func objectMetaSchema() map[string]any {
	str := func() map[string]any { return map[string]any{"type": "string"} }
	nullableStr := func() map[string]any { return map[string]any{"type": []any{"string", "null"}} }
	stringMap := func() map[string]any {
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": map[string]any{"type": "string"}}
	}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"name":                       str(),
			"namespace":                  str(),
			"generateName":               str(),
			"uid":                        str(),
			"resourceVersion":            str(),
			"selfLink":                   str(),
			"generation":                 map[string]any{"type": "integer"},
			"creationTimestamp":          nullableStr(),
			"deletionTimestamp":          nullableStr(),
			"deletionGracePeriodSeconds": map[string]any{"type": []any{"integer", "null"}},
			"labels":                     stringMap(),
			"annotations":                stringMap(),
			"finalizers":                 map[string]any{"type": []any{"array", "null"}, "items": str()},
			"managedFields":              map[string]any{"type": []any{"array", "null"}, "items": map[string]any{"type": "object"}},
			"ownerReferences": map[string]any{
				"type": []any{"array", "null"},
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"required":             []any{"apiVersion", "kind", "name", "uid"},
					"properties": map[string]any{
						"apiVersion":         str(),
						"kind":               str(),
						"name":               str(),
						"uid":                str(),
						"controller":         map[string]any{"type": "boolean"},
						"blockOwnerDeletion": map[string]any{"type": "boolean"},
					},
				},
			},
		},
	}
}
