package fgd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/resource"
)

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var testManifest = Manifest{Fabric: "dc1", LayoutVersion: LayoutVersion, FGDVersion: "test"}

func TestEnsureFreshThenIdempotent(t *testing.T) {
	root := t.TempDir()
	reps, err := Ensure(root, testManifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) == 0 {
		t.Fatal("first Ensure on an empty folder reported no repair")
	}
	for _, d := range Dirs() {
		if fi, err := os.Lstat(filepath.Join(root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s is not a folder after Ensure: %v", d, err)
		}
	}
	for _, d := range append([]string{"raw", "unmanaged", ".hnp/archive"}, prefixed("managed/", resource.KindDirs())...) {
		if _, err := os.Stat(filepath.Join(root, d, GitKeep)); err != nil {
			t.Errorf("no .gitkeep in %s: %v", d, err)
		}
	}
	m, found, err := ReadManifest(root)
	if err != nil || !found || m != testManifest {
		t.Fatalf("manifest = %+v found=%v err=%v, want %+v", m, found, err, testManifest)
	}
	before := treeHash(t, root)
	reps, err = Ensure(root, testManifest)
	if err != nil || len(reps) != 0 {
		t.Fatalf("second Ensure: repairs %v, err %v; want none", reps, err)
	}
	if after := treeHash(t, root); after != before {
		t.Fatal("second Ensure changed the tree")
	}
	reps, err = Inspect(root, testManifest)
	if err != nil || len(reps) != 0 {
		t.Fatalf("Inspect on a sound FGD: %v, %v", reps, err)
	}
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

func TestEnsureRepairs(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		want    []string // substrings of "path: action" that must be reported
		check   func(t *testing.T, root string)
		inspect bool // Inspect must report the same and write nothing
	}{
		{
			name:  "file where a kind folder must be",
			setup: func(t *testing.T, root string) { mustWrite(t, filepath.Join(root, "managed/vpcs"), "precious\n") },
			want:  []string{"managed/vpcs: move aside to unmanaged/managed__vpcs", "managed/vpcs: create folder"},
			check: func(t *testing.T, root string) {
				if b, err := os.ReadFile(filepath.Join(root, "unmanaged/managed__vpcs")); err != nil || string(b) != "precious\n" {
					t.Fatalf("moved file: %q %v", b, err)
				}
				side, err := os.ReadFile(filepath.Join(root, "unmanaged/managed__vpcs.metadata"))
				if err != nil || !strings.Contains(string(side), "needs the folder managed/vpcs") {
					t.Fatalf("sidecar: %s %v", side, err)
				}
			},
			inspect: true,
		},
		{
			name: "symlink where a folder must be is moved, not followed",
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "managed"), 0o755)
				if err := os.Symlink("/etc", filepath.Join(root, "managed/servers")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"managed/servers: move aside to unmanaged/managed__servers"},
			check: func(t *testing.T, root string) {
				if tgt, err := os.Readlink(filepath.Join(root, "unmanaged/managed__servers")); err != nil || tgt != "/etc" {
					t.Fatalf("link moved: %q %v", tgt, err)
				}
			},
			inspect: true,
		},
		{
			name: "file named unmanaged",
			setup: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, "unmanaged"), "x\n")
			},
			want: []string{"unmanaged: move aside to unmanaged.fgd-displaced", "unmanaged: create folder", "unmanaged.fgd-displaced: move aside to unmanaged/unmanaged.fgd-displaced"},
			check: func(t *testing.T, root string) {
				if b, err := os.ReadFile(filepath.Join(root, "unmanaged/unmanaged.fgd-displaced")); err != nil || string(b) != "x\n" {
					t.Fatalf("moved: %q %v", b, err)
				}
			},
		},
		{
			name: "NetBox plugin manifest keeps its keys",
			setup: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, ".hnp/manifest.yaml"), "# written by the plugin\nnetbox_url: https://netbox.example\nfabric: dc1\nsync:\n  mode: push\n")
			},
			want: []string{".hnp/manifest.yaml: update fgd's keys"},
			check: func(t *testing.T, root string) {
				b, _ := os.ReadFile(filepath.Join(root, ".hnp/manifest.yaml"))
				for _, s := range []string{"# written by the plugin", "netbox_url: https://netbox.example", "mode: push", "fabric: dc1", "layout_version: 1", "fgd_version: test"} {
					if !strings.Contains(string(b), s) {
						t.Errorf("manifest lost %q:\n%s", s, b)
					}
				}
			},
			inspect: true,
		},
		{
			name: "unparseable manifest is kept in unmanaged/ and replaced",
			setup: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, ".hnp/manifest.yaml"), "- just\n- a list\n")
			},
			want: []string{".hnp/manifest.yaml: move aside to unmanaged/.hnp__manifest.yaml", ".hnp/manifest.yaml: write manifest"},
			check: func(t *testing.T, root string) {
				if b, _ := os.ReadFile(filepath.Join(root, "unmanaged/.hnp__manifest.yaml")); string(b) != "- just\n- a list\n" {
					t.Fatalf("old manifest: %q", b)
				}
			},
		},
		{
			name: "temp files of a crashed run are reported by Inspect",
			setup: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, "managed/vpcs/.fgd-tmp-123"), "half")
				mustWrite(t, filepath.Join(root, "raw/.fgd-tmp-user"), "a user's dotfile: not ours to remove")
			},
			want:    []string{"managed/vpcs/.fgd-tmp-123: remove temp file"},
			inspect: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.setup(t, root)
			if tc.inspect {
				before := treeHash(t, root)
				reps, err := Inspect(root, testManifest)
				if err != nil {
					t.Fatal(err)
				}
				assertReported(t, reps, tc.want)
				if treeHash(t, root) != before {
					t.Fatal("Inspect wrote something")
				}
			}
			cleaned, err := CleanTemp(root)
			if err != nil {
				t.Fatal(err)
			}
			reps, err := Ensure(root, testManifest)
			if err != nil {
				t.Fatal(err)
			}
			assertReported(t, append(cleaned, reps...), tc.want)
			if tc.check != nil {
				tc.check(t, root)
			}
			if _, err := os.Stat(filepath.Join(root, "raw/.fgd-tmp-user")); tc.name == "temp files of a crashed run are reported by Inspect" && err != nil {
				t.Fatal("CleanTemp removed a user's dotfile in raw/")
			}
			again, err := Ensure(root, testManifest)
			if err != nil || len(again) != 0 {
				t.Fatalf("Ensure after repair: %v %v", again, err)
			}
		})
	}
}

func assertReported(t *testing.T, reps []Repair, want []string) {
	t.Helper()
	var got []string
	for _, r := range reps {
		got = append(got, r.Path+": "+r.Action)
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("repairs lack %q; got:\n%s", w, all)
		}
	}
}

func TestEnsureRejectsNonFolderRoot(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	mustWrite(t, f, "x")
	if _, err := Ensure(f, testManifest); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Ensure(filepath.Join(f, "nope"), testManifest); err == nil {
		t.Fatal("no error for a missing root")
	}
}
