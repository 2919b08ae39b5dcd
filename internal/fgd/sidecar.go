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

// Reason is one reason in a sidecar: Document -1 means the whole file.
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
