package git_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// looseBlobs counts the blobs the clone in dir holds as loose objects:
// the ones written since the clone's pack was fetched.
func looseBlobs(t *testing.T, dir string) int {
	t.Helper()
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := repo.Storer.(*filesystem.Storage)
	defer s.Close()
	n := 0
	err = s.ForEachObjectHash(func(h plumbing.Hash) error {
		obj, err := s.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return err
		}
		if obj.Type() == plumbing.BlobObject {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCommitStoresOnlyChangedBlobs: in a fresh clone of a 5,000-file
// repository, a commit of one changed file stores that one blob, not every
// file of the FGD again, and its tree is the one git computes for the same
// working tree.
func TestCommitStoresOnlyChangedBlobs(t *testing.T) {
	e := newEnv(t, "file", benchFiles())
	o := e.options()
	r := e.open(o)
	do(t, r, update)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	before := looseBlobs(t, o.Dir)

	changed := filepath.Join(o.Dir, "dc1/managed/vpcs/res-00000.yaml")
	if err := os.WriteFile(changed, []byte("kind: VPC\nmetadata:\n  name: res-00000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var head plumbing.Hash
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		h, ok, err := w.Commit(ctx, "dc1", "fgd: change one")
		if err == nil && !ok {
			t.Error("Commit saw no change")
		}
		head = h
		return err
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := looseBlobs(t, o.Dir) - before; got != 1 {
		t.Errorf("the commit stored %d new blobs, want 1", got)
	}

	sameTreeAsGit(t, o.Dir, head)

	// A mode change of an unchanged file and a new symlink: the modes git
	// records, 100755 and 120000.
	if err := os.Chmod(filepath.Join(o.Dir, "dc1/managed/vpcs/res-00005.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("res-00010.yaml", filepath.Join(o.Dir, "dc1/managed/vpcs/link.yaml")); err != nil {
		t.Fatal(err)
	}
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		h, _, err := w.Commit(ctx, "dc1", "fgd: modes")
		head = h
		return err
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	sameTreeAsGit(t, o.Dir, head)
}

// sameTreeAsGit fails the test unless commit's tree is the one `git add -A
// && git write-tree` gives for the working tree of the clone in dir, and
// `git fsck` finds the clone sound.
func sameTreeAsGit(t *testing.T, dir string, commit plumbing.Hash) {
	t.Helper()
	env := append(gittest.Env(t.TempDir()), "GIT_DIR="+filepath.Join(dir, ".git"), "GIT_WORK_TREE="+dir,
		"GIT_INDEX_FILE="+filepath.Join(t.TempDir(), "index"))
	cliGit(t, dir, env, "add", "-A")
	want := cliGit(t, dir, env, "write-tree")
	got := cliGit(t, dir, env, "rev-parse", commit.String()+"^{tree}")
	if got != want {
		t.Errorf("fgd's tree is %s, git write-tree gives %s", got, want)
	}
	cliGit(t, dir, env, "fsck", "--strict", "--no-progress")
}

// cliGit runs the git CLI in dir with env and returns its trimmed output.
func cliGit(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
