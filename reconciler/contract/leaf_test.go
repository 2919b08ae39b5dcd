package contract

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports lists the import paths of the non-test Go files in dir.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[f] = append(out[f], p)
		}
	}
	return out
}

// TestLeaf: the contract imports only the standard library, so a plugin
// that depends on it depends on nothing of the reconciler.
func TestLeaf(t *testing.T) {
	for file, paths := range imports(t, ".") {
		for _, p := range paths {
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the contract may import only the standard library", file, p)
			}
		}
	}
}

// TestPluginsSeeOnlyTheContract: no sink or source imports the store or the
// reconciler, so no store-owned object crosses the seam and both kinds of
// plugin are wired by cmd alike, through the contract's ports.
func TestPluginsSeeOnlyTheContract(t *testing.T) {
	for _, kind := range []string{"sinks", "sources"} {
		dirs, err := os.ReadDir(filepath.Join("..", "..", kind))
		if err != nil {
			t.Fatal(err)
		}
		if len(dirs) == 0 {
			t.Fatalf("no %s found", kind)
		}
		for _, d := range dirs {
			for file, paths := range imports(t, filepath.Join("..", "..", kind, d.Name())) {
				for _, p := range paths {
					if p == "github.com/fgdproject/fgd/internal/state" || p == "github.com/fgdproject/fgd/reconciler" {
						t.Errorf("%s imports %s: a plugin sees only reconciler/contract", file, p)
					}
				}
			}
		}
	}
}
