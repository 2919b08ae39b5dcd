package fgd

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
)

func TestSourceName(t *testing.T) {
	for in, want := range map[string]string{
		"raw/vpcs.yaml":          "vpcs.yaml",
		"vpcs.yaml":              "vpcs.yaml",
		"sub/dir/x.yaml":         "sub__dir__x.yaml",
		"raw/sub/x.yml":          "raw__sub__x.yml",
		".hnp/manifest.yaml":     ".hnp__manifest.yaml",
		"managed/vpcs":           "managed__vpcs",
		"raw/no-extension-at-al": "no-extension-at-al",
	} {
		if got := SourceName(in); got != want {
			t.Errorf("SourceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStoreName(t *testing.T) {
	dir := t.TempDir()
	a, b := []byte("a: 1\n"), []byte("b: 2\n")
	hb := hex.EncodeToString(func() []byte { s := sha256.Sum256(b); return s[:] }())
	steps := []struct {
		name, content string
		wantName      string
		wantExists    bool
		store         bool
	}{
		{"vpcs.yaml", string(a), "vpcs.yaml", false, true},
		{"vpcs.yaml", string(a), "vpcs.yaml", true, false},
		{"vpcs.yaml", string(b), "vpcs." + hb[:8] + ".yaml", false, true},
		{"vpcs.yaml", string(b), "vpcs." + hb[:8] + ".yaml", true, false},
		{"noext", string(a), "noext", false, false},
	}
	for i, s := range steps {
		got, exists, err := StoreName(dir, s.name, []byte(s.content))
		if err != nil || got != s.wantName || exists != s.wantExists {
			t.Fatalf("step %d: StoreName = %q, %v, %v; want %q, %v", i, got, exists, err, s.wantName, s.wantExists)
		}
		if s.store {
			mustWrite(t, filepath.Join(dir, got), s.content)
		}
	}
	// A foreign file that would pass for the sidecar makes the name taken.
	mustWrite(t, filepath.Join(dir, "x.yaml.metadata"), "not ours")
	got, _, err := ChooseName(dir, "x.yaml", sha256.Sum256(a), SidecarSuffix, DiskLookup)
	if err != nil || got == "x.yaml" {
		t.Fatalf("ChooseName beside a foreign .metadata = %q, %v", got, err)
	}
	// A symlink is compared by its target.
	if err := NewBatch().Symlink(filepath.Join(dir, "l"), "/x"); err != nil {
		t.Fatal(err)
	}
}
