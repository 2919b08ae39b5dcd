package directory

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// fabric is a desired set of n VPC files in 50 folders.
func fabric(n int) []Manifest {
	ms := make([]Manifest, n)
	for i := range ms {
		ms[i] = Manifest{
			Path: fmt.Sprintf("vpcs/g%02d/vpc-%d.yaml", i%50, i),
			Key:  fmt.Sprintf("vpc.githedgehog.com/VPC/default/vpc-%d", i),
			Body: fmt.Appendf(nil, "kind: VPC\nmetadata:\n  name: vpc-%d\nspec:\n  subnets: {}\n", i),
		}
	}
	return ms
}

// stats returns path → stat of the files of a tree, its inventory left out.
func stats(t *testing.T, dir string) map[string]*syscall.Stat_t {
	t.Helper()
	out := map[string]*syscall.Stat_t{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == inventoryFile {
			return nil
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fi.Sys().(*syscall.Stat_t)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func applyManifests(t *testing.T, p *Publisher, rev string, ms []Manifest) Result {
	t.Helper()
	r, err := p.Apply(context.Background(), rev, ms)
	if err != nil {
		t.Fatalf("Apply %s: %v", rev, err)
	}
	return r
}

// A one-file change in a 5,000-file set writes that file and the
// inventory; every other file of the new tree is the previous tree's inode.
func TestOneChangeLinksUnchangedFiles(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	ms := fabric(5000)
	applyManifests(t, p, "r1", ms)
	prev := current(t, root)
	before := stats(t, prev)

	const changed = "vpcs/g07/vpc-1357.yaml"
	ms[1357].Body = []byte("kind: VPC\nmetadata:\n  name: vpc-1357\nspec:\n  subnets: {default: {}}\n")
	res := applyManifests(t, p, "r2", ms)
	next := current(t, root)
	if next == prev {
		t.Fatal("no new tree was published")
	}
	if res.Written > 10 || res.Linked != 4999 || res.LinkFailed != 0 {
		t.Errorf("written %d, linked %d, link failed %d; want ≤ 10, 4999, 0", res.Written, res.Linked, res.LinkFailed)
	}
	after := stats(t, next)
	if len(after) != 5000 {
		t.Fatalf("new tree has %d files, want 5000", len(after))
	}
	ownInode := 0
	for path, st := range after {
		if st.Nlink == 1 {
			ownInode++
		}
		shared := st.Ino == before[path].Ino
		if shared != (path != changed) {
			t.Errorf("%s: shares its inode with the previous tree: %v, want %v", path, shared, path != changed)
		}
	}
	if ownInode > 10 {
		t.Errorf("%d files of the new tree have a link count of 1, want ≤ 10", ownInode)
	}
	if got := readTree(t, next)[changed]; got != string(ms[1357].Body) {
		t.Errorf("new tree's %s = %q", changed, got)
	}
	if got := readTree(t, prev)[changed]; got == string(ms[1357].Body) {
		t.Errorf("previous tree's %s was changed too", changed)
	}
}

// A file edited by hand in place in the live tree is drift: the next tree
// gets a newly written file, never a link to the edited inode.
func TestHandEditIsRewrittenNotLinked(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	files := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n", "vpcs/c.yaml": "c\n"}
	apply(t, p, "r1", files)
	live := current(t, root)
	// In place: same inode, as an editor that does not rename would.
	write(t, filepath.Join(live, "vpcs/b.yaml"), "edited\n")
	edited := stats(t, live)["vpcs/b.yaml"].Ino

	res := apply(t, p, "r1", files)
	if len(res.Drift) != 1 || res.Drift[0] != "vpcs/b.yaml" {
		t.Errorf("drift %v, want [vpcs/b.yaml]", res.Drift)
	}
	next := current(t, root)
	if next == live {
		t.Fatal("the drift was not repaired by a new tree")
	}
	if got := readTree(t, next); !equalMaps(got, files) {
		t.Errorf("new tree = %v, want %v", got, files)
	}
	st := stats(t, next)
	if st["vpcs/b.yaml"].Ino == edited {
		t.Error("the new tree links the hand-edited file")
	}
	if res.Written != 2 || res.Linked != 2 {
		t.Errorf("written %d, linked %d; want 2 (b.yaml, inventory), 2", res.Written, res.Linked)
	}
	if again := apply(t, p, "r1", files); len(again.Drift) != 0 || again.Changed() {
		t.Errorf("after the repair: drift %v, changed %v", again.Drift, again.Changed())
	}
}

// Where link(2) fails (another file system, the link limit, no hard
// links) the unchanged files are copied, counted, and the tree is whole.
func TestLinkFailureFallsBackToCopy(t *testing.T) {
	linkFile = func(oldname, newname string) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EXDEV}
	}
	t.Cleanup(func() { linkFile = os.Link })
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	files := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n", "x/c.yaml": "c\n"}
	apply(t, p, "r1", files)
	prev := stats(t, current(t, root))
	files["vpcs/a.yaml"] = "a2\n"
	res := apply(t, p, "r2", files)
	if res.LinkFailed != 2 || res.Linked != 0 || res.Written != 4 {
		t.Errorf("link failed %d, linked %d, written %d; want 2, 0, 4", res.LinkFailed, res.Linked, res.Written)
	}
	next := current(t, root)
	if got := readTree(t, next); !equalMaps(got, files) {
		t.Errorf("new tree = %v, want %v", got, files)
	}
	for path, st := range stats(t, next) {
		if st.Ino == prev[path].Ino {
			t.Errorf("%s shares its inode although linking failed", path)
		}
	}
}

// A live file edited between reading the live tree and linking it is not
// linked: the new tree gets the desired bytes written.
func TestFileChangedBeforeLinkIsWritten(t *testing.T) {
	linkFile = func(oldname, newname string) error {
		if filepath.Base(oldname) == "b.yaml" {
			if err := os.WriteFile(oldname, []byte("edited meanwhile\n"), 0o644); err != nil {
				return err
			}
		}
		return os.Link(oldname, newname)
	}
	t.Cleanup(func() { linkFile = os.Link })
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	files := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n", "vpcs/c.yaml": "c\n"}
	apply(t, p, "r1", files)
	prev := current(t, root)
	files["vpcs/a.yaml"] = "a2\n"
	res := apply(t, p, "r2", files)
	next := current(t, root)
	if got := readTree(t, next); !equalMaps(got, files) {
		t.Errorf("new tree = %v, want %v", got, files)
	}
	if res.Linked != 1 || res.LinkFailed != 0 || res.Written != 3 {
		t.Errorf("linked %d, link failed %d, written %d; want 1, 0, 3", res.Linked, res.LinkFailed, res.Written)
	}
	if stats(t, next)["vpcs/b.yaml"].Ino == stats(t, prev)["vpcs/b.yaml"].Ino {
		t.Error("the new tree links the file edited meanwhile")
	}
}
