package fgd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// What ListUnmanaged lists and how it reads each sidecar: through the
// shared reader, so a symlinked or oversized sidecar is refused, not read.
func TestListUnmanaged(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, UnmanagedDir)
	mkfile := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	side, err := Sidecar{Original: "raw/a.yaml", StoredAs: "unmanaged/a.yaml", Outcome: "unmanaged",
		Reasons: []Reason{{Document: -1, Message: "not YAML"}, {Document: 2, Line: 3, Path: "spec.vlan", Message: "too big"}}}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	mkfile("a.yaml", "x")
	mkfile("a.yaml"+SidecarSuffix, string(side))
	mkfile("b-no-sidecar.txt", "x")
	mkfile("c-broken.yaml", "x")
	mkfile("c-broken.yaml"+SidecarSuffix, "reasons: [\n")
	mkfile("d-linked.yaml", "x")
	mkfile("elsewhere", string(side))
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "d-linked.yaml"+SidecarSuffix)); err != nil {
		t.Fatal(err)
	}
	mkfile("e-huge.yaml", "x")
	mkfile("e-huge.yaml"+SidecarSuffix, "reasons: []\n"+strings.Repeat("#", MaxInputBytes))
	mkfile(GitKeep, "")
	mkfile("orphan.yaml"+SidecarSuffix, string(side)) // a sidecar alone is no file
	if err := os.Mkdir(filepath.Join(dir, "f-folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.yaml", filepath.Join(dir, "g-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "h-fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	files, total, err := ListUnmanaged(root, -1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	want := "a.yaml b-no-sidecar.txt c-broken.yaml d-linked.yaml e-huge.yaml elsewhere"
	if got := strings.Join(names, " "); got != want || total != 6 {
		t.Fatalf("listed %q (total %d), want %q (total 6)", got, total, want)
	}
	tests := []struct {
		name  string
		check func(UnmanagedFile) bool
	}{
		{"a.yaml", func(u UnmanagedFile) bool {
			r := u.Sidecar.Reasons
			return u.SidecarErr == nil && u.Rel() == "unmanaged/a.yaml" && len(r) == 2 && r[0].Document == -1 && r[1].Line == 3
		}},
		{"b-no-sidecar.txt", func(u UnmanagedFile) bool { return errors.Is(u.SidecarErr, fs.ErrNotExist) }},
		{"c-broken.yaml", func(u UnmanagedFile) bool {
			return errors.Is(u.SidecarErr, ErrNotYAML) && strings.Contains(u.SidecarErr.Error(), "unmanaged/c-broken.yaml.metadata")
		}},
		{"d-linked.yaml", func(u UnmanagedFile) bool { return errors.Is(u.SidecarErr, ErrSymlink) && len(u.Sidecar.Reasons) == 0 }},
		{"e-huge.yaml", func(u UnmanagedFile) bool { return errors.Is(u.SidecarErr, ErrTooLarge) }},
	}
	for i, tt := range tests {
		if files[i].Name != tt.name || !tt.check(files[i]) {
			t.Errorf("%s: got %+v", tt.name, files[i])
		}
	}

	// A limit bounds the files read, not the count.
	files, total, err = ListUnmanaged(root, 2)
	if err != nil || len(files) != 2 || total != 6 || files[1].Name != "b-no-sidecar.txt" {
		t.Errorf("limit 2: %d files, total %d, err %v; want 2 of 6", len(files), total, err)
	}
}

// A missing unmanaged/ holds nothing; a symlink or a file in its place is
// refused and never followed.
func TestListUnmanagedFolder(t *testing.T) {
	missing := t.TempDir()
	if files, total, err := ListUnmanaged(missing, -1); err != nil || files != nil || total != 0 {
		t.Errorf("missing folder: %v, %d, %v; want nothing", files, total, err)
	}

	linked, target := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "a.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(linked, UnmanagedDir)); err != nil {
		t.Fatal(err)
	}
	var unsafe *UnsafeFileError
	if _, _, err := ListUnmanaged(linked, -1); !errors.As(err, &unsafe) || !errors.Is(err, ErrSymlink) {
		t.Errorf("symlinked folder: err %v, want an *UnsafeFileError for the symlink", err)
	}

	file := t.TempDir()
	if err := os.WriteFile(filepath.Join(file, UnmanagedDir), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ListUnmanaged(file, -1); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), UnmanagedDir) {
		t.Errorf("a file in the folder's place: err %v, want one naming it", err)
	}
}
