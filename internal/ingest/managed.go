package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// Managed is one resource of an FGD's managed/ tree: the desired set.
type Managed struct {
	ID   resource.Identity
	Path string // below the FGD, e.g. "managed/vpcs/vpc-1.yaml"
	Hash string // hex sha256 of Body
	Body []byte
}

// ReadManaged lists the resources of root's managed/ tree, sorted by path.
// Only the identity is read from each file (the files were validated when
// they were written); a file whose identity cannot be read is an error that
// names it, because publishing a desired set with a hole in it would make
// sinks prune what they should keep.
func ReadManaged(root string) ([]Managed, error) {
	var out []Managed
	for _, k := range resource.Kinds() {
		dir := filepath.Join(root, fgd.ManagedDir, k.Dir)
		entries, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".yaml") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			rel := path.Join(fgd.ManagedDir, k.Dir, e.Name())
			body, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", rel, err)
			}
			id, err := managedIdentity(body)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (fix or remove the file; fgd writes only valid resources there)", rel, err)
			}
			sum := sha256.Sum256(body)
			out = append(out, Managed{ID: id, Path: rel, Hash: hex.EncodeToString(sum[:]), Body: body})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// managedIdentity reads apiVersion, kind and metadata of a managed file.
func managedIdentity(body []byte) (resource.Identity, error) {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
	if err := yaml.Unmarshal(body, &head); err != nil {
		return resource.Identity{}, fmt.Errorf("not a YAML resource: %w", err)
	}
	group, version, ok := strings.Cut(head.APIVersion, "/")
	if !ok || head.Kind == "" || head.Metadata.Name == "" {
		return resource.Identity{}, fmt.Errorf("no apiVersion, kind or metadata.name")
	}
	ns := head.Metadata.Namespace
	if ns == "" {
		ns = resource.DefaultNamespace
	}
	return resource.Identity{Group: group, Version: version, Kind: head.Kind, Namespace: ns, Name: head.Metadata.Name}, nil
}
