package resource

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestToJSONSchema compiles converted OpenAPI schemas and checks what they accept: objects with
// properties become strict, nullable and int-or-string widen the type, preserve-unknown-fields stays open,
// and keywords JSON Schema does not know are dropped.
func TestToJSONSchema(t *testing.T) {
	openAPI := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name":   map[string]any{"type": "string", "nullable": true, "description": "dropped", "x-kubernetes-list-type": "atomic"},
			"port":   map[string]any{"x-kubernetes-int-or-string": true},
			"free":   map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": map[string]any{"a": map[string]any{"type": "string"}}},
			"labels": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
			"nested": map[string]any{"type": "object", "properties": map[string]any{"b": map[string]any{"type": "integer", "format": "int32", "example": 3}}},
		},
	}
	sch, err := toJSONSchema(openAPI, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("urn:test", sch); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("urn:test")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		doc   string
		valid bool
	}{
		{`{"name": "a", "port": 80}`, true},
		{`{"name": null, "port": "http"}`, true},
		{`{"port": true}`, false},
		{`{"unknown": 1}`, false},
		{`{"free": {"a": "x", "anything": [1]}}`, true},
		{`{"labels": {"k": "v"}}`, true},
		{`{"labels": {"k": 1}}`, false},
		{`{"nested": {"b": 1}}`, true},
		{`{"nested": {"c": 1}}`, false},
	}
	for _, tc := range cases {
		dec := json.NewDecoder(strings.NewReader(tc.doc))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		err := compiled.Validate(v)
		if (err == nil) != tc.valid {
			t.Errorf("%s: valid=%v, want %v (%v)", tc.doc, err == nil, tc.valid, err)
		}
	}
}

// TestRegistryConcurrent decodes from many goroutines at once (run with -race).
func TestRegistryConcurrent(t *testing.T) {
	reg := newTestRegistry(t)
	docs := parseCorpusFile(t, "demo-gitops__env-1__pre-demo.yaml")
	bad := parseCorpusFile(t, "fabric__config__samples__wiring.v2.yaml")
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				for _, d := range docs {
					if r, iss := reg.Decode(d); r == nil {
						errs <- iss[0].Error()
						return
					}
				}
				for _, d := range bad {
					if r, _ := reg.Decode(d); r != nil {
						errs <- "invalid document decoded"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
