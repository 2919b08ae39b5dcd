package fgd

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A reason about the whole file has no document key (not "document: -1");
// one about document 0 keeps it; both read back as written.
func TestSidecarReasonDocument(t *testing.T) {
	s := Sidecar{Original: "raw/notes.txt", StoredAs: "unmanaged/notes.txt", Outcome: "unmanaged", Reasons: []Reason{
		{Document: -1, Code: "not_yaml", Message: "not a YAML file"},
		{Document: 0, Line: 3, Message: "unknown field"},
	}, When: "2026-01-02T03:04:05Z"}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "-1") || strings.Count(string(b), "document:") != 1 || !strings.Contains(string(b), "document: 0") {
		t.Errorf("sidecar:\n%s", b)
	}
	var back Sidecar
	if err := yaml.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("read back %+v, want %+v", back, s)
	}
}
