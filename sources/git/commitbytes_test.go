package git_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestFreshAndLongLivedClonesCommitAlike: a clone with many fetches, commits
// and pushes behind it and a fresh clone of the same head, given the same
// change, the same author and signing key and a pinned clock, write
// byte-identical commits: what fgd commits depends on the parent, the
// working tree and the author only, never on the history of the clone.
func TestFreshAndLongLivedClonesCommitAlike(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	key := gittest.NewSSHKey(t, "fgd@example.invalid")
	pinned := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 2*3600))
	options := func() git.Options {
		o := e.options()
		o.Clock = func() time.Time { return pinned }
		o.Author.SigningKeyFile = key.KeyFile
		return o
	}

	longOpts := options()
	long := e.open(longOpts)
	const rounds = 10 // below MaxPacks: the clone is never cloned afresh
	for i := range rounds {
		e.remote.Change(t, fmt.Sprintf("other %d", i), map[string]string{fmt.Sprintf("other/f%d.yaml", i): "n: 1\n"}, nil)
		do(t, long, func(ctx context.Context, w *git.Worktree) error {
			if err := update(ctx, w); err != nil {
				return err
			}
			root, err := w.Path("dc1")
			if err != nil {
				return err
			}
			gittest.WriteFiles(t, root, map[string]string{fmt.Sprintf("managed/vpcs/round-%d.yaml", i): fmt.Sprintf("n: %d\n", i)})
			if _, _, err := w.Commit(ctx, "dc1", fmt.Sprintf("fgd: round %d", i)); err != nil {
				return err
			}
			return w.Push(ctx)
		})
	}
	if strings.Contains(e.logs.String(), "afresh") {
		t.Fatalf("the long-lived clone was cloned afresh:\n%s", e.logs.String())
	}
	e.remote.Change(t, "someone else", map[string]string{"dc1/raw/new.yaml": "kind: VPC\n"}, []string{"dc1/raw/vpc-1.yaml"})

	fresh := e.open(options())
	change := func(r *git.Repo) plumbing.Hash {
		var h plumbing.Hash
		do(t, r, func(ctx context.Context, w *git.Worktree) error {
			if err := update(ctx, w); err != nil {
				return err
			}
			root, err := w.Path("dc1")
			if err != nil {
				return err
			}
			gittest.WriteFiles(t, root, map[string]string{"managed/vpcs/vpc-9.yaml": "kind: VPC\n", "managed/switches/leaf-9.yaml": "kind: Switch\n"})
			if err := os.Remove(filepath.Join(root, "raw", "vpc-2.yaml")); err != nil {
				return err
			}
			var ok bool
			h, ok, err = w.Commit(ctx, "dc1", "fgd: the same change")
			if err == nil && !ok {
				t.Error("Commit saw no change")
			}
			return err
		})
		return h
	}
	hLong, hFresh := change(long), change(fresh)
	if err := long.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	bLong, bFresh := commitBytes(t, longOpts.Dir, hLong), commitBytes(t, fresh.Dir(), hFresh)
	if hLong != hFresh || bLong != bFresh {
		t.Fatalf("the long-lived clone committed %s:\n%s\nthe fresh clone %s:\n%s", hLong, bLong, hFresh, bFresh)
	}
	if !strings.Contains(bLong, "gpgsig -----BEGIN SSH SIGNATURE-----") {
		t.Errorf("the commit is not signed:\n%s", bLong)
	}
}

// commitBytes returns the stored bytes of the commit h in the clone in dir.
func commitBytes(t *testing.T, dir string, h plumbing.Hash) string {
	t.Helper()
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := repo.Storer.EncodedObject(plumbing.CommitObject, h)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := obj.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
