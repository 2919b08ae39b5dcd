package resource

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// crdFiles holds the Hedgehog CRDs of the 12 kinds, one folder per API version (see crds/SOURCES.md).
//
//go:embed crds/v1beta1/*.yaml crds/v1alpha2/*.yaml
var crdFiles embed.FS

// schemaKey names one compiled schema.
type schemaKey struct{ group, version, kind string }

// Registry holds the compiled CRD schemas (embedded in the binary with go:embed). Safe for concurrent
// use: it is read-only after NewRegistry.
type Registry struct {
	schemas map[schemaKey]*jsonschema.Schema
}

// NewRegistry compiles the embedded CRD schemas of every supported kind and version.
func NewRegistry() (*Registry, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.RegisterFormat(&jsonschema.Format{Name: "int32", Validate: intFormat(math.MinInt32, math.MaxInt32)})
	c.RegisterFormat(&jsonschema.Format{Name: "int64", Validate: intFormat(math.MinInt64, math.MaxInt64)})
	r := &Registry{schemas: make(map[schemaKey]*jsonschema.Schema, len(kinds)*len(Versions))}
	for _, version := range Versions {
		dir := path.Join("crds", version)
		entries, err := fs.ReadDir(crdFiles, dir)
		if err != nil {
			return nil, fmt.Errorf("read embedded CRDs %s: %w", dir, err)
		}
		for _, e := range entries {
			file := path.Join(dir, e.Name())
			if err := r.addCRD(c, file, version); err != nil {
				return nil, fmt.Errorf("embedded CRD %s: %w", file, err)
			}
		}
	}
	for _, k := range kinds {
		for _, v := range Versions {
			if r.schemas[schemaKey{k.Group, v, k.Kind}] == nil {
				return nil, fmt.Errorf("no embedded CRD schema for %s/%s %s", k.Group, v, k.Kind)
			}
		}
	}
	return r, nil
}

// crd is the part of a CustomResourceDefinition the registry reads.
type crd struct {
	Spec struct {
		Group string `yaml:"group"`
		Names struct {
			Kind string `yaml:"kind"`
		} `yaml:"names"`
		Versions []struct {
			Name   string `yaml:"name"`
			Schema struct {
				OpenAPIV3Schema yaml.Node `yaml:"openAPIV3Schema"`
			} `yaml:"schema"`
		} `yaml:"versions"`
	} `yaml:"spec"`
}

func (r *Registry) addCRD(c *jsonschema.Compiler, file, version string) error {
	data, err := crdFiles.ReadFile(file)
	if err != nil {
		return err
	}
	var d crd
	if err := yaml.Unmarshal(data, &d); err != nil {
		return err
	}
	if _, ok := LookupKind(d.Spec.Group, d.Spec.Names.Kind); !ok {
		return fmt.Errorf("%s %s is not one of the supported kinds", d.Spec.Group, d.Spec.Names.Kind)
	}
	for _, v := range d.Spec.Versions {
		if v.Name != version {
			continue
		}
		conv := converter{doc: -1}
		raw, ok := conv.value(&v.Schema.OpenAPIV3Schema).(map[string]any)
		if !ok || len(conv.issues) > 0 {
			return fmt.Errorf("openAPIV3Schema of %s does not convert: %v", version, conv.issues)
		}
		sch, err := toJSONSchema(raw, "openAPIV3Schema")
		if err != nil {
			return err
		}
		if props, ok := sch["properties"].(map[string]any); ok {
			props["metadata"] = objectMetaSchema()
		}
		url := "urn:fgd:crd:" + d.Spec.Group + ":" + version + ":" + d.Spec.Names.Kind
		if err := c.AddResource(url, sch); err != nil {
			return err
		}
		compiled, err := c.Compile(url)
		if err != nil {
			return err
		}
		r.schemas[schemaKey{d.Spec.Group, version, d.Spec.Names.Kind}] = compiled
		return nil
	}
	return fmt.Errorf("no version %s in the CRD", version)
}

// intFormat checks that an integer fits the range of a Kubernetes int32/int64 field. Non-integers are left
// to the "type" keyword.
func intFormat(lo, hi int64) func(any) error {
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil
		}
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			if i < lo || i > hi {
				return fmt.Errorf("%s is out of range [%d, %d]", n, lo, hi)
			}
			return nil
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || f != math.Trunc(f) {
			return nil
		}
		if f < float64(lo) || f > float64(hi) {
			return fmt.Errorf("%s is out of range [%d, %d]", n, lo, hi)
		}
		return nil
	}
}
