package git_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// A long-lived clone that fetches change after change stays bounded without
// being cloned again: its packs, loose objects and history are compacted
// in place, its disk usage stays within a few times a fresh clone's, and
// its working tree and HEAD are right throughout. The FGD holds 200
// managed files, so that a fresh clone's size is the FGD's, not git's
// overhead.
func TestCompactionBoundsTheClone(t *testing.T) {
	files := largeFGD(200)
	for p, content := range seedFGD() {
		files[p] = content
	}
	for _, transport := range []string{"http"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t, transport, files)
			reg := prometheus.NewRegistry()
			o := e.options()
			o.Metrics = git.NewMetrics(reg)
			r := e.open(o)
			do(t, r, update)
			const changes = 60
			most := struct{ packs, loose, history, bytes int }{}
			for i := range changes {
				content := fmt.Sprintf("kind: VPC\nmetadata:\n  name: counter\nspec:\n  change: %d\n", i)
				e.remote.Change(t, fmt.Sprintf("change %d", i), map[string]string{"dc1/raw/counter.yaml": content}, nil)
				do(t, r, update)
				if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "counter.yaml")); got != content {
					t.Fatalf("update %d: dc1/raw/counter.yaml = %q, want %q", i, got, content)
				}
				if got, want := gittest.Git(t, o.Dir, "rev-parse", "HEAD"), e.remote.Head(t); got != want {
					t.Fatalf("update %d: the clone's HEAD is %s, the remote's %s", i, got, want)
				}
				most.packs = max(most.packs, len(glob(t, o.Dir, ".git/objects/pack/*.pack")))
				most.loose = max(most.loose, len(glob(t, o.Dir, ".git/objects/??/*")))
				most.history = max(most.history, strings.Count(gittest.Git(t, o.Dir, "rev-list", "HEAD"), "\n")+1)
				most.bytes = max(most.bytes, dirBytes(t, filepath.Join(o.Dir, ".git", "objects")))
			}
			if most.packs > git.MaxPacks+1 || most.loose > git.MaxLoose || most.history > git.MaxHistory+2 {
				t.Errorf("the clone reached %d packs, %d loose objects, %d commits of history; bounds %d, %d, %d",
					most.packs, most.loose, most.history, git.MaxPacks+1, git.MaxLoose, git.MaxHistory+2)
			}
			if n := counterValue(t, reg, e.url, git.OpClone, "success"); n != 1 {
				t.Errorf("%v clones, want the first one only", n)
			}
			if n := counterValue(t, reg, e.url, git.OpFetch, "success"); n != changes {
				t.Errorf("%v fetches, want %d", n, changes)
			}
			logs := e.logs.String()
			if strings.Contains(logs, "cloned afresh") || !strings.Contains(logs, "compacted the clone") {
				t.Errorf("want compactions and no fresh clone; the logs:\n%s", logs)
			}
			gittest.Git(t, o.Dir, "fsck", "--no-dangling")

			fresh := o
			fresh.Dir = filepath.Join(t.TempDir(), "fresh")
			fresh.Metrics = nil
			do(t, e.open(fresh), update)
			if limit := 3 * dirBytes(t, filepath.Join(fresh.Dir, ".git", "objects")); most.bytes > limit {
				t.Errorf("the clone's objects reached %d bytes, more than 3 × a fresh clone's (%d)", most.bytes, limit)
			}
		})
	}
}

func glob(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dirBytes is the size of the files below dir.
func dirBytes(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += int(fi.Size())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A daemon killed at any step of a compaction leaves a clone that the next
// start uses as it is: no fresh clone, the next change fetched alone, the
// working tree and HEAD right, the clone whole (git fsck).
func TestCompactionKilledMidway(t *testing.T) {
	for _, c := range []struct {
		name string
		step int
	}{
		{"after the new pack", git.CompactPackWritten},
		{"after the shallow list", git.CompactShallowWritten},
		{"while removing the old objects", git.CompactHalfRemoved},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "file", seedFGD())
			o := e.options()
			r := e.open(o)
			do(t, r, update)
			for i := range 3 {
				e.remote.Change(t, "before", map[string]string{"dc1/raw/counter.yaml": fmt.Sprintf("n: %d\n", i)}, nil)
				do(t, r, update)
			}
			if err := git.CrashCompaction(r, c.step); err != nil {
				t.Fatal(err)
			}
			_ = r.Close()

			reg := prometheus.NewRegistry()
			o.Metrics = git.NewMetrics(reg)
			r2 := e.open(o)
			e.remote.Change(t, "after", map[string]string{"dc1/raw/after.yaml": "kind: VPC\n"}, nil)
			do(t, r2, update)
			if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "after.yaml")); got != "kind: VPC\n" {
				t.Errorf("dc1/raw/after.yaml = %q", got)
			}
			if got, want := gittest.Git(t, o.Dir, "rev-parse", "HEAD"), e.remote.Head(t); got != want {
				t.Errorf("HEAD is %s, want %s", got, want)
			}
			if n := counterValue(t, reg, e.url, git.OpClone, "success"); n != 0 {
				t.Errorf("the restarted clone was cloned afresh (%v clones)", n)
			}
			gittest.Git(t, o.Dir, "fsck", "--no-dangling")
			if left := glob(t, o.Dir, ".git/shallow.tmp-*"); len(left) > 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

// A compaction that fails (a full disk) costs the sync nothing: the clone
// is used as it is, never cloned afresh, and compacted at a later sync.
func TestFailedCompactionKeepsTheClone(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	reg := prometheus.NewRegistry()
	o := e.options()
	o.Metrics = git.NewMetrics(reg)
	r := e.open(o)
	do(t, r, update)
	git.FailCompactions(r, git.CompactPackWritten)
	for i := range git.MaxHistory + 2 {
		content := fmt.Sprintf("n: %d\n", i)
		e.remote.Change(t, "change", map[string]string{"dc1/raw/counter.yaml": content}, nil)
		do(t, r, update)
		if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "counter.yaml")); got != content {
			t.Fatalf("update %d: dc1/raw/counter.yaml = %q, want %q", i, got, content)
		}
	}
	if !strings.Contains(e.logs.String(), "cannot compact the clone") {
		t.Fatal("no compaction was tried")
	}
	git.FailCompactions(r, 0)
	e.remote.Change(t, "change", map[string]string{"dc1/raw/last.yaml": "kind: VPC\n"}, nil)
	do(t, r, update)
	if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "last.yaml")); got != "kind: VPC\n" {
		t.Errorf("dc1/raw/last.yaml = %q", got)
	}
	if !strings.Contains(e.logs.String(), "compacted the clone") {
		t.Error("the clone was not compacted once compaction worked again")
	}
	if n := counterValue(t, reg, e.url, git.OpClone, "success"); n != 1 {
		t.Errorf("%v clones, want the first one only", n)
	}
	if n := len(glob(t, o.Dir, ".git/objects/pack/*.pack")); n != 1 {
		t.Errorf("%d packs after the compaction, want 1", n)
	}
	gittest.Git(t, o.Dir, "fsck", "--no-dangling")
}
