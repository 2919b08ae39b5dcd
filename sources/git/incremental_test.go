package git_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// Fetches after the first one bring what changed, however it changed: one
// commit, several, files removed, or a branch rewritten by a force-push
// (nothing in common with the clone: its head alone is fetched). The
// working tree is the remote head's each time, the clone is whole (git
// fsck) and its history is no deeper than the commits it fetched.
func TestIncrementalFetch(t *testing.T) {
	for _, transport := range []string{"file", "http", "ssh"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t, transport, seedFGD())
			o := e.options()
			r := e.open(o)
			do(t, r, update)
			steps := []struct {
				name string
				push func()
			}{
				{"one commit", func() {
					e.remote.Change(t, "one", map[string]string{"dc1/raw/vpc-3.yaml": "kind: VPC\n"}, nil)
				}},
				{"several commits", func() {
					for i := range 3 {
						e.remote.Change(t, "several", map[string]string{fmt.Sprintf("dc1/raw/n-%d.yaml", i): "kind: VPC\n"}, nil)
					}
				}},
				{"files removed", func() {
					e.remote.Change(t, "remove", nil, []string{"dc1/raw/vpc-1.yaml", "other"})
				}},
				{"branch rewritten", func() {
					rewrite(t, e.remote, map[string]string{"dc1/raw/fresh.yaml": "kind: VPC\n", "README.md": "rewritten\n"})
				}},
				{"after the rewrite", func() {
					e.remote.Change(t, "after", map[string]string{"dc1/raw/fresh.yaml": "kind: VPC\nmetadata: {}\n"}, nil)
				}},
			}
			for _, s := range steps {
				s.push()
				do(t, r, update)
				want := e.remote.Files(t)
				got := gittest.Git(t, o.Dir, "ls-tree", "-r", "--name-only", "HEAD")
				if n := len(strings.Split(got, "\n")); n != len(want) {
					t.Errorf("%s: the working tree has %d files, the remote %d:\n%s", s.name, n, len(want), got)
				}
				for p, content := range want {
					if c := strings.TrimSpace(readFile(t, filepath.Join(o.Dir, filepath.FromSlash(p)))); c != content {
						t.Errorf("%s: %s = %q, want %q", s.name, p, c, content)
					}
				}
				if got, want := gittest.Git(t, o.Dir, "rev-parse", "HEAD"), e.remote.Head(t); got != want {
					t.Errorf("%s: HEAD is %s, want %s", s.name, got, want)
				}
				gittest.Git(t, o.Dir, "fsck", "--no-dangling")
			}
			// One commit from the first sync and each fetched one, except
			// those the rewrite dropped.
			if n := strings.Count(gittest.Git(t, o.Dir, "rev-list", "HEAD"), "\n") + 1; n != 2 {
				t.Errorf("the clone holds %d commits below its head, want 2 (the rewritten head and the one after)", n)
			}
			if !strings.Contains(e.logs.String(), "shares no commit with the clone") {
				t.Error("the fetch after the rewrite was not logged")
			}
		})
	}
}

// rewrite replaces the remote branch by one new commit of files, unrelated
// to its history, as a force-push does, and has the remote drop the old
// history: none of the clone's commits is left on it.
func rewrite(t *testing.T, r *gittest.Remote, files map[string]string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "rewrite")
	gittest.Git(t, r.Root, "init", "--quiet", "--initial-branch="+r.Branch, work)
	gittest.WriteFiles(t, work, files)
	gittest.Git(t, work, "add", "--all")
	gittest.Git(t, work, "commit", "--quiet", "-m", "rewritten")
	gittest.Git(t, work, "push", "--quiet", "--force", r.Dir(), "HEAD:refs/heads/"+r.Branch)
	gittest.Git(t, r.Dir(), "reflog", "expire", "--expire=now", "--all")
	gittest.Git(t, r.Dir(), "gc", "--quiet", "--prune=now")
}
