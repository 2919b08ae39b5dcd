package dir

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestNew(t *testing.T) {
	noop := func(string) {}
	tests := []struct {
		name     string
		root     string
		trigger  func(string)
		opts     Options
		wantErr  bool
		debounce string
		rescan   string
	}{
		{name: "defaults", root: "fgd", trigger: noop, debounce: "250ms", rescan: "5m0s"},
		{name: "explicit", root: "/srv/fgd/lab", trigger: noop, opts: Options{Debounce: 1e9, Rescan: 6e10}, debounce: "1s", rescan: "1m0s"},
		{name: "empty root", root: "", trigger: noop, wantErr: true},
		{name: "nil trigger", root: "fgd", wantErr: true},
		{name: "negative debounce", root: "fgd", trigger: noop, opts: Options{Debounce: -1}, wantErr: true},
		{name: "negative rescan", root: "fgd", trigger: noop, opts: Options{Rescan: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := New(tt.root, tt.trigger, tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("New succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !filepath.IsAbs(w.root) {
				t.Errorf("root %q is not absolute", w.root)
			}
			if got := w.debounce.String(); got != tt.debounce {
				t.Errorf("debounce = %s, want %s", got, tt.debounce)
			}
			if got := w.rescan.String(); got != tt.rescan {
				t.Errorf("rescan = %s, want %s", got, tt.rescan)
			}
		})
	}
}

// TestEventsTrigger drives single changes through a running watcher: work
// must trigger, fgd's own writes, dot-folders, temp names and removals must
// not.
func TestEventsTrigger(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) // before Run
		act   func(t *testing.T, root string) // after the startup trigger
		want  bool
	}{
		{name: "YAML dropped in raw", want: true, act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "raw", "vpc.yaml"), vpcYAML)
		}},
		{name: "non-YAML file in raw", want: true, act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "raw", "notes.txt"), "not yaml")
		}},
		{name: "symlink in raw", want: true, act: func(t *testing.T, root string) {
			if err := os.Symlink("/nonexistent/target.yaml", filepath.Join(root, "raw", "link.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file moved into raw", want: true, act: func(t *testing.T, root string) {
			src := filepath.Join(filepath.Dir(root), "outside.yaml")
			mustWrite(t, src, vpcYAML)
			if err := os.Rename(src, filepath.Join(root, "raw", "moved.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "stray YAML in root", want: true, act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "stray.yaml"), vpcYAML)
		}},
		{name: "stray yml in root", want: true, act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "stray.yml"), vpcYAML)
		}},
		{name: "YAML in an existing nested folder", want: true,
			setup: func(t *testing.T, root string) { mustMkdir(t, filepath.Join(root, "site", "dc1")) },
			act: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, "site", "dc1", "switches.yaml"), vpcYAML)
			}},
		{name: "YAML in a folder below raw", want: true,
			setup: func(t *testing.T, root string) { mustMkdir(t, filepath.Join(root, "raw", "batch1")) },
			act: func(t *testing.T, root string) {
				mustWrite(t, filepath.Join(root, "raw", "batch1", "vpc.yaml"), vpcYAML)
			}},
		{name: "existing YAML rewritten in place", want: true,
			setup: func(t *testing.T, root string) { mustWrite(t, filepath.Join(root, "wiring.yaml"), vpcYAML) },
			act: func(t *testing.T, root string) {
				f, err := os.OpenFile(filepath.Join(root, "wiring.yaml"), os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteString("---\n"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "README.md in root", act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "README.md"), "# fabric\n")
		}},
		{name: "non-YAML in a nested folder", act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, "docs"))
			mustWrite(t, filepath.Join(root, "docs", "notes.txt"), "x")
		}},
		{name: "non-YAML in a folder below raw", act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, "raw", "sub"))
			mustWrite(t, filepath.Join(root, "raw", "sub", "notes.txt"), "x")
		}},
		{name: "folder named like YAML", act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, "folder.yaml"))
		}},
		{name: "dotfile in raw", act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "raw", ".hidden.yaml"), vpcYAML)
		}},
		{name: "temp names in raw", act: func(t *testing.T, root string) {
			for _, n := range []string{"vpc.yaml~", "vpc.yaml.swp", "vpc.yaml.tmp"} {
				mustWrite(t, filepath.Join(root, "raw", n), vpcYAML)
			}
		}},
		{name: "writes under managed", act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "managed", "vpcs", "vpc-1.yaml"), vpcYAML)
			mustMkdir(t, filepath.Join(root, "managed", "connections"))
			mustWrite(t, filepath.Join(root, "managed", "connections", "c.yaml"), vpcYAML)
		}},
		{name: "managed folder created after start", setup: bareSetup(), act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, "managed", "vpcs"))
			mustWrite(t, filepath.Join(root, "managed", "vpcs", "vpc-1.yaml"), vpcYAML)
		}},
		{name: "writes under unmanaged", act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, "unmanaged", "bad.yaml"), "x: [")
			mustWrite(t, filepath.Join(root, "unmanaged", "bad.yaml.metadata"), "reason: parse\n")
		}},
		{name: "writes under .hnp", act: func(t *testing.T, root string) {
			mustWrite(t, filepath.Join(root, ".hnp", "archive-log.yaml"), "- path: raw/x.yaml\n")
			mustWrite(t, filepath.Join(root, ".hnp", "archive", "x.yaml"), vpcYAML)
		}},
		{name: "writes under .git", act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, ".git", "objects", "ab"))
			mustWrite(t, filepath.Join(root, ".git", "objects", "ab", "cdef"), "blob")
			mustWrite(t, filepath.Join(root, ".git", "index"), "idx")
			mustWrite(t, filepath.Join(root, ".git", "x.yaml"), vpcYAML)
		}},
		{name: "dot-folder created after start", act: func(t *testing.T, root string) {
			mustMkdir(t, filepath.Join(root, "site", ".cache", "deep"))
			mustWrite(t, filepath.Join(root, "site", ".cache", "deep", "x.yaml"), vpcYAML)
		}},
		{name: "removal in raw", setup: withRawFile("old.yaml"), act: func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "raw", "old.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "removal in raw of a file still open", setup: withRawFile("open.yaml"), act: func(t *testing.T, root string) {
			// Linux reports this as an attribute change, then the removal on close.
			p := filepath.Join(root, "raw", "open.yaml")
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}},
		{name: "original moved from raw to the archive", setup: withRawFile("in.yaml"), act: func(t *testing.T, root string) {
			if err := os.Rename(filepath.Join(root, "raw", "in.yaml"), filepath.Join(root, ".hnp", "archive", "in.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file created and removed again", act: func(t *testing.T, root string) {
			p := filepath.Join(root, "raw", "flash.yaml")
			mustWrite(t, p, vpcYAML)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := harnessConfig{}
			if tt.setup != nil {
				cfg.setup = func(root string) { tt.setup(t, root) }
			}
			h := startHarness(t, cfg)
			before := h.count()
			tt.act(t, h.root)
			if tt.want {
				h.waitReasonAfter(before, ReasonChange)
				return
			}
			h.assertNoTriggerSince(before)
		})
	}
}

// bareSetup removes the usual managed folder so the test can create it while
// the watcher runs.
func bareSetup() func(t *testing.T, root string) {
	return func(t *testing.T, root string) {
		if err := os.RemoveAll(filepath.Join(root, "managed")); err != nil {
			t.Fatal(err)
		}
	}
}

func withRawFile(name string) func(t *testing.T, root string) {
	return func(t *testing.T, root string) { mustWrite(t, filepath.Join(root, "raw", name), vpcYAML) }
}

// TestRenameOver writes the new content under a temporary name and renames it
// over the real one, as editors and careful tools do: the temporary file alone
// does not trigger, the rename triggers exactly once.
func TestRenameOver(t *testing.T) {
	for _, dir := range []string{"raw", "."} {
		for _, temp := range []string{".vpc.yaml.swp", "vpc.yaml~", "vpc.yaml.tmp"} {
			t.Run(fmt.Sprintf("%s/%s", dir, temp), func(t *testing.T) {
				t.Parallel()
				h := startHarness(t, harnessConfig{setup: func(root string) {
					mustWrite(t, filepath.Join(root, dir, "vpc.yaml"), vpcYAML)
				}})
				tmp := filepath.Join(h.root, dir, temp)
				before := h.count()
				mustWrite(t, tmp, vpcYAML+"  labels: {a: b}\n")
				h.assertNoTriggerSince(before)

				if err := os.Rename(tmp, filepath.Join(h.root, dir, "vpc.yaml")); err != nil {
					t.Fatal(err)
				}
				h.waitReasonAfter(before, ReasonChange)
				h.settle()
				if got := h.rec.all()[before:]; len(got) != 1 {
					t.Errorf("triggers after the rename = %v, want exactly one", reasonsOf(got))
				}
			})
		}
	}
}

// TestNewNestedDirectories creates a/b/c in one MkdirAll and a file in c
// right away: the file may exist before the watch on c does, and must still
// trigger.
func TestNewNestedDirectories(t *testing.T) {
	h := startHarness(t, harnessConfig{})
	for i := range 5 {
		for _, base := range []string{"raw/..", "raw"} {
			deep := filepath.Join(h.root, base, fmt.Sprintf("a%d", i), "b", "c")
			before := h.count()
			mustMkdir(t, deep)
			mustWrite(t, filepath.Join(deep, "x.yaml"), vpcYAML)
			h.waitReasonAfter(before, ReasonChange)
			h.settle()
		}
	}
}

// TestDirectoryTreeCreatedWhileEventsHeld holds the watcher's event reading
// (the test hook simulates a slow consumer) while a whole tree is created: no
// watch can exist below the new top folder when its files appear, so only the
// scan that follows adding the watches can find them.
func TestDirectoryTreeCreatedWhileEventsHeld(t *testing.T) {
	hold := make(chan struct{})
	h := startHarness(t, harnessConfig{hold: hold})
	before := h.count()
	deep := filepath.Join(h.root, "site", "dc1", "leaf")
	mustMkdir(t, deep)
	mustWrite(t, filepath.Join(deep, "wiring.yaml"), vpcYAML)
	close(hold)
	h.waitReasonAfter(before, ReasonChange)

	// The new folders are watched now: a later file in the deepest one triggers.
	h.settle()
	before = h.count()
	mustWrite(t, filepath.Join(deep, "more.yaml"), vpcYAML)
	h.waitReasonAfter(before, ReasonChange)
}

// TestRecreatedDirectoryIsWatchedAgain removes raw/ and creates it again: its
// watch is restored.
func TestRecreatedDirectoryIsWatchedAgain(t *testing.T) {
	h := startHarness(t, harnessConfig{})
	raw := filepath.Join(h.root, "raw")
	for range 3 {
		before := h.count()
		if err := os.RemoveAll(raw); err != nil {
			t.Fatal(err)
		}
		h.barrier()
		mustMkdir(t, raw)
		h.assertNoTriggerSince(before)

		mustWrite(t, filepath.Join(raw, "vpc.yaml"), vpcYAML)
		h.waitReasonAfter(before, ReasonChange)
		h.settle()
	}
}

// TestRenamedDirectory renames a watched folder tree within the FGD: files
// later created anywhere below its new name trigger (the old watches would
// report them under the old, no longer existing paths).
func TestRenamedDirectory(t *testing.T) {
	tests := []struct{ from, to string }{
		{from: "site", to: "site2"},
		{from: "site", to: "raw/site"},
		{from: "raw/batch", to: "batch"},
	}
	for _, tt := range tests {
		t.Run(tt.from+"->"+tt.to, func(t *testing.T) {
			t.Parallel()
			h := startHarness(t, harnessConfig{setup: func(root string) {
				mustMkdir(t, filepath.Join(root, tt.from, "dc1", "leaf"))
			}})
			if err := os.Rename(filepath.Join(h.root, tt.from), filepath.Join(h.root, tt.to)); err != nil {
				t.Fatal(err)
			}
			h.settle()
			for _, sub := range []string{"dc1/leaf", "dc1", "."} {
				before := h.count()
				mustWrite(t, filepath.Join(h.root, tt.to, sub, "x.yaml"), vpcYAML)
				h.waitReasonAfter(before, ReasonChange)
				h.settle()
			}
		})
	}
}
