package fgd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Manifest is what fgd records in .hnp/manifest.yaml. It holds nothing that
// changes from one run to the next, so rewriting it is rare.
type Manifest struct {
	Fabric        string
	LayoutVersion int
	FGDVersion    string
}

// Keys fgd owns in the manifest; every other key (the Hedgehog NetBox
// plugin's, say) is kept as found.
const (
	keyFabric        = "fabric"
	keyLayoutVersion = "layout_version"
	keyFGDVersion    = "fgd_version"
)

// ReadManifest reads fgd's keys from root's manifest. A missing manifest is
// not an error: it returns a zero Manifest and found false.
func ReadManifest(root string) (m Manifest, found bool, err error) {
	data, err := ReadFile(root, ManifestFile, MaxSmallFileBytes)
	if errors.Is(err, os.ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("read %s: %w", filepath.Join(root, ManifestFile), err)
	}
	doc, err := parseManifest(data)
	if err != nil {
		return Manifest{}, true, fmt.Errorf("%s: %w", filepath.Join(root, ManifestFile), err)
	}
	m.Fabric = scalar(doc, keyFabric)
	m.LayoutVersion, _ = strconv.Atoi(scalar(doc, keyLayoutVersion))
	m.FGDVersion = scalar(doc, keyFGDVersion)
	return m, true, nil
}

// parseManifest returns the manifest's top mapping node.
func parseManifest(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	return top, nil
}

func scalar(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// manifestBytes returns the manifest content for m, keeping every key of
// old (nil when there is none). changed is false when old already says
// what m says: then old's bytes are kept as they are, formatting included.
func manifestBytes(old []byte, m Manifest) (out []byte, changed bool, err error) {
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if old != nil {
		if top, err = parseManifest(old); err != nil {
			return nil, false, err
		}
	}
	want := []struct{ key, value, tag string }{
		{keyFabric, m.Fabric, "!!str"},
		{keyLayoutVersion, strconv.Itoa(m.LayoutVersion), "!!int"},
		{keyFGDVersion, m.FGDVersion, "!!str"},
	}
	for _, w := range want {
		if set(top, w.key, w.value, w.tag) {
			changed = true
		}
	}
	if !changed && old != nil {
		return old, false, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(top); err != nil {
		return nil, false, fmt.Errorf("encode manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, false, fmt.Errorf("encode manifest: %w", err)
	}
	return buf.Bytes(), true, nil
}

// set makes key hold the scalar value and reports whether that changed it.
func set(m *yaml.Node, key, value, tag string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		v := m.Content[i+1]
		if v.Kind == yaml.ScalarNode && v.Value == value {
			return false
		}
		m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
		return true
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
	return true
}
