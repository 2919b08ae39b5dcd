package directory

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// set builds a desired set from path → body.
func set(files map[string]string) []Manifest {
	var out []Manifest
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, Manifest{Path: p, Body: []byte(files[p]), Key: keyOf(p)})
	}
	return out
}

func newPublisher(t *testing.T, o Options) *Publisher {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func apply(t *testing.T, p *Publisher, rev string, files map[string]string) Result {
	t.Helper()
	r, err := p.Apply(context.Background(), rev, set(files))
	if err != nil {
		t.Fatalf("Apply %s: %v", rev, err)
	}
	return r
}

// readTree returns path → content of the files under dir, fgd's inventory
// file left out.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == inventoryFile {
			return nil
		}
		b, err := os.ReadFile(path)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// current resolves the current symlink of the sink at root.
func current(t testing.TB, root string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(filepath.Join(root, currentLink))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// trees lists the tree directories of the sink at root.
func trees(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, treesDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func equalMaps(a, b map[string]string) bool { return maps.Equal(a, b) }

// keyOf is the key set gives the file at path.
func keyOf(path string) string {
	return "vpc.githedgehog.com/VPC/default/" + strings.TrimSuffix(filepath.Base(path), ".yaml")
}

// resourceOf is the reconciler's resource of a manifest set built.
func resourceOf(m Manifest) contract.Resource {
	return contract.Resource{Key: m.Key, Path: "managed/" + m.Path, Hash: hashBytes(m.Body), Body: m.Body}
}
