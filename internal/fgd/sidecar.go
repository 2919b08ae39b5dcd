package fgd

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Sidecar is the content of the <file>.metadata beside a file in unmanaged/:
// where it came from and why fgd could not ingest it. When is the only
// field that changes from run to run, and it appears nowhere else.
type Sidecar struct {
	Original  string   `yaml:"original"`
	StoredAs  string   `yaml:"stored_as"`
	SHA256    string   `yaml:"sha256,omitempty"`
	Fabric    string   `yaml:"fabric,omitempty"`
	Outcome   string   `yaml:"outcome"`
	Documents []int    `yaml:"documents,flow,omitempty"`
	Reasons   []Reason `yaml:"reasons"`
	When      string   `yaml:"when"`
}

// Reason is one reason in a sidecar: Document -1 means the whole file, and
// the sidecar then has no document key (a "document: -1" reads as a defect).
type Reason struct {
	Document int    `yaml:"document"`
	Line     int    `yaml:"line,omitempty"`
	Path     string `yaml:"path,omitempty"`
	Code     string `yaml:"code,omitempty"`
	Message  string `yaml:"message"`
	Hint     string `yaml:"hint,omitempty"`
}

// Marshal renders the sidecar as YAML.
func (s Sidecar) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode sidecar for %s: %w", s.Original, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode sidecar for %s: %w", s.Original, err)
	}
	return buf.Bytes(), nil
}

// reasonYAML is Reason as written: the document index only when there is one.
type reasonYAML struct {
	Document *int   `yaml:"document,omitempty"`
	Line     int    `yaml:"line,omitempty"`
	Path     string `yaml:"path,omitempty"`
	Code     string `yaml:"code,omitempty"`
	Message  string `yaml:"message"`
	Hint     string `yaml:"hint,omitempty"`
}

// MarshalYAML leaves the document out of a reason about the whole file.
func (r Reason) MarshalYAML() (any, error) {
	out := reasonYAML{Line: r.Line, Path: r.Path, Code: r.Code, Message: r.Message, Hint: r.Hint}
	if r.Document >= 0 {
		out.Document = &r.Document
	}
	return out, nil
}

// UnmarshalYAML reads a reason without a document as one about the whole
// file.
func (r *Reason) UnmarshalYAML(n *yaml.Node) error {
	var in reasonYAML
	if err := n.Decode(&in); err != nil {
		return err
	}
	*r = Reason{Document: -1, Line: in.Line, Path: in.Path, Code: in.Code, Message: in.Message, Hint: in.Hint}
	if in.Document != nil {
		r.Document = *in.Document
	}
	return nil
}
