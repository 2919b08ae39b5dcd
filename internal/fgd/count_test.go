package fgd

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCountManaged counts regular .yaml files per kind folder and nothing
// else: not sidecars, temporary files' neighbours of other suffixes,
// folders or symlinks.
func TestCountManaged(t *testing.T) {
	root := t.TempDir()
	vpcs := filepath.Join(root, ManagedDir, "vpcs")
	if err := os.MkdirAll(filepath.Join(vpcs, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.yaml", "b.yaml", "notes.txt", GitKeep} {
		if err := os.WriteFile(filepath.Join(vpcs, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(vpcs, "a.yaml"), filepath.Join(vpcs, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	got := CountManaged(root)
	if got["VPC"] != 2 {
		t.Errorf("VPC count = %d, want 2 (a.yaml and b.yaml): %v", got["VPC"], got)
	}
	total := 0
	for _, n := range got {
		total += n
	}
	if total != 2 {
		t.Errorf("total = %d, want 2: %v", total, got)
	}
	if _, ok := got["Switch"]; !ok {
		t.Errorf("a kind without a folder is missing from the counts: %v", got)
	}
}
