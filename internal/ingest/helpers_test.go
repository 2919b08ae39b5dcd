package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resource"
)

// corpusDir is the test corpus shared with internal/resource.
const corpusDir = "../../testdata/corpus"

var (
	regOnce sync.Once
	regVal  *resource.Registry
	regErr  error
)

// registry builds the real registry once per test binary (compiling the
// embedded CRD schemas is the slow part).
func registry(t testing.TB) *resource.Registry {
	t.Helper()
	regOnce.Do(func() { regVal, regErr = resource.NewRegistry() })
	if regErr != nil {
		t.Fatal(regErr)
	}
	return regVal
}

func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func run(t testing.TB, root string, o Options) *Report {
	t.Helper()
	if o.Now == nil {
		o.Now = fixedNow
	}
	if o.Fabric == "" {
		o.Fabric = "test"
	}
	rep, err := Run(context.Background(), root, registry(t), o)
	if err != nil {
		t.Fatalf("Run(%s): %v", root, err)
	}
	return rep
}

func write(t testing.TB, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// corpusFiles lists the YAML files of the corpus.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	es, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("the corpus is missing: %v", err)
	}
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, e.Name())
		}
	}
	return out
}

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tree maps every path below root (folders end in "/") to a hash of what it
// holds: mode and bytes, or a symlink's target.
func tree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			out[rel+"/"] = fi.Mode().String()
		case fi.Mode()&os.ModeSymlink != 0:
			tgt, _ := os.Readlink(p)
			out[rel] = "-> " + tgt
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			out[rel] = fi.Mode().String() + " " + hex.EncodeToString(s[:])
		default:
			out[rel] = fi.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffTrees describes how two trees differ, or returns "".
func diffTrees(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "only before: "+k)
		} else if v != w {
			out = append(out, "changed: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "only after: "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// files lists the regular files below dir (relative, sorted), without .gitkeep.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".gitkeep" {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out
}

func dump(v any) string { return fmt.Sprintf("%+v", v) }
