package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestSyncCommitPush clones an FGD, changes it below its path the way
// ingestion does (adds, modifications, deletions), commits and pushes: the
// remote gets exactly one commit by fgd with those changes and nothing from
// outside the path; then nothing changes, and head checks make no fetch.
func TestSyncCommitPush(t *testing.T) {
	for _, transport := range []string{"file", "http"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t, transport, seedFGD())
			seedHead := e.remote.Head(t)
			r := e.open(e.options())
			var pushed plumbing.Hash
			do(t, r, func(ctx context.Context, w *git.Worktree) error {
				rev, err := w.Update(ctx)
				if err != nil {
					return err
				}
				if rev.String() != seedHead {
					t.Errorf("Update returned %s, the remote head is %s", rev, seedHead)
				}
				dir, err := w.Path("dc1")
				if err != nil {
					return err
				}
				if got := readFile(t, filepath.Join(dir, "raw", "vpc-1.yaml")); got != seedFGD()["dc1/raw/vpc-1.yaml"] {
					t.Errorf("raw/vpc-1.yaml after Update = %q", got)
				}
				// What an ingestion does: managed files in, originals archived.
				gittest.WriteFiles(t, dir, map[string]string{
					"managed/vpcs/vpc-1.yaml":  "kind: VPC # managed\n",
					".hnp/archive/vpc-1.yaml":  seedFGD()["dc1/raw/vpc-1.yaml"],
					"switches.yaml":            "changed: true\n",
					"managed/vpcs/sub/x.yaml":  "nested: true\n",
					"../other/notes.yaml":      "edited outside the FGD\n",
					"../outside-new-file.yaml": "must not be committed\n",
				})
				for _, p := range []string{"raw/vpc-1.yaml", "managed/vpcs/.gitkeep"} {
					if err := os.Remove(filepath.Join(dir, p)); err != nil {
						return err
					}
				}
				h, changed, err := w.Commit(ctx, "dc1", "fgd: ingest 1 file")
				if err != nil || !changed {
					t.Fatalf("Commit = %s, %v, %v; want a commit", h, changed, err)
				}
				if err := w.Push(ctx); err != nil {
					return err
				}
				pushed = h
				// Nothing changed since: no commit, and the head stays.
				h2, changed, err := w.Commit(ctx, "dc1", "fgd: nothing")
				if err != nil || changed || h2 != h {
					t.Errorf("second Commit = %s, %v, %v; want %s, false, nil", h2, changed, err, h)
				}
				return w.Push(ctx)
			})

			log := e.remote.Log(t)
			if len(log) != 2 {
				t.Fatalf("remote history has %d commits, want 2 (seed + fgd's):\n%s", len(log), strings.Join(log, "\n"))
			}
			want := pushed.String() + " " + seedHead + "|" + fgdName + "|fgd: ingest 1 file"
			if log[0] != want {
				t.Errorf("newest remote commit = %q, want %q", log[0], want)
			}
			gotChanged := e.remote.ChangedFiles(t, pushed.String())
			wantChanged := []string{
				"dc1/.hnp/archive/vpc-1.yaml",
				"dc1/managed/vpcs/.gitkeep",
				"dc1/managed/vpcs/sub/x.yaml",
				"dc1/managed/vpcs/vpc-1.yaml",
				"dc1/raw/vpc-1.yaml",
				"dc1/switches.yaml",
			}
			if !reflect.DeepEqual(gotChanged, wantChanged) {
				t.Errorf("fgd's commit changed %q, want %q", gotChanged, wantChanged)
			}
			email := gittest.Git(t, e.remote.Dir(), "log", "-1", "--format=%ae %cn %ce", "refs/heads/"+branch)
			if email != fgdEmail+" "+fgdName+" "+fgdEmail {
				t.Errorf("author email, committer = %q", email)
			}
			gittest.Git(t, e.remote.Dir(), "fsck", "--no-dangling")

			if e.http == nil {
				return
			}
			info, upload, _ := e.http.Counts()
			for i := 0; i < 10; i++ {
				h, err := r.RemoteHead(context.Background())
				if err != nil || h != pushed {
					t.Fatalf("RemoteHead = %s, %v; want %s", h, err, pushed)
				}
			}
			// An Update with no remote change fetches nothing either.
			do(t, r, func(ctx context.Context, w *git.Worktree) error {
				_, err := w.Update(ctx)
				return err
			})
			info2, upload2, _ := e.http.Counts()
			if info2-info != 11 || upload2 != upload {
				t.Errorf("10 head checks and an Update with no change made %d info/refs and %d upload-pack requests, want 11 and 0", info2-info, upload2-upload)
			}
		})
	}
}

// TestUpdateResetsLocalEdits: whatever was done to the working tree since,
// Update brings back the remote head exactly.
func TestUpdateResetsLocalEdits(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	r := e.open(e.options())
	do(t, r, update)
	dir := r.Dir()
	if err := os.Remove(filepath.Join(dir, "dc1", "raw", "vpc-1.yaml")); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFiles(t, dir, map[string]string{
		"dc1/switches.yaml":         "local edit\n",
		"dc1/untracked.yaml":        "untracked\n",
		"newdir/deep/file.txt":      "untracked dir\n",
		"dc1/raw/vpc-1.yaml/x":      "a directory where a file was\n",
		"other/notes.yaml.orig":     "editor leftovers\n",
		"dc1/managed/vpcs/.gitkeep": "",
	})
	if err := os.RemoveAll(filepath.Join(dir, "dc1", "raw", "vpc-2.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "README.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "dc1", "link")); err != nil {
		t.Fatal(err)
	}
	do(t, r, update)

	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			t.Errorf("%s is not a regular file after Update", rel)
			return nil
		}
		got[filepath.ToSlash(rel)] = readFile(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := seedFGD(); !reflect.DeepEqual(got, want) {
		t.Errorf("working tree after Update =\n%v\nwant\n%v", got, want)
	}
	if fi, err := os.Stat(filepath.Join(dir, "README.md")); err != nil || fi.Mode().Perm()&0o111 != 0 {
		t.Errorf("README.md mode after Update: %v, %v; want not executable", fi.Mode(), err)
	}
	// The clone is a git repository the CLI can read.
	if out := gittest.Git(t, dir, "rev-parse", "HEAD"); out != e.remote.Head(t) {
		t.Errorf("HEAD of the clone = %s, want %s", out, e.remote.Head(t))
	}
}

// TestPushRejected: a commit pushed by someone else between Update and Push
// makes Push fail with ErrPushRejected, without forcing; after another
// Update the change is redone and pushed: the history is linear and holds
// both commits.
func TestPushRejected(t *testing.T) {
	for _, transport := range []string{"file", "http"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t, transport, seedFGD())
			r := e.open(e.options())
			ingest := func(ctx context.Context, w *git.Worktree) (plumbing.Hash, error) {
				dir, err := w.Path("dc1")
				if err != nil {
					return plumbing.ZeroHash, err
				}
				gittest.WriteFiles(t, dir, map[string]string{"managed/vpcs/vpc-1.yaml": "kind: VPC\n"})
				h, changed, err := w.Commit(ctx, "dc1", "fgd: ingest")
				if err == nil && !changed {
					err = errors.New("no commit")
				}
				return h, err
			}
			var other string
			do(t, r, func(ctx context.Context, w *git.Worktree) error {
				if _, err := w.Update(ctx); err != nil {
					return err
				}
				if _, err := ingest(ctx, w); err != nil {
					return err
				}
				other = e.remote.Change(t, "someone else", map[string]string{"dc1/raw/vpc-3.yaml": "kind: VPC\n"}, nil)
				err := w.Push(ctx)
				if !errors.Is(err, git.ErrPushRejected) {
					t.Fatalf("Push after someone else's push = %v, want ErrPushRejected", err)
				}
				noSecret(t, err)
				t.Logf("rejected push: %v", err)
				if git.IsAuth(err) || git.IsNotFound(err) {
					t.Errorf("a rejected push is classified as auth/not-found: %v", err)
				}
				if got := e.remote.Head(t); got != other {
					t.Fatalf("the remote head moved to %s after a rejected push, want %s", got, other)
				}
				rev, err := w.Update(ctx)
				if err != nil {
					return err
				}
				if rev.String() != other {
					t.Errorf("Update = %s, want the other commit %s", rev, other)
				}
				if _, err := ingest(ctx, w); err != nil {
					return err
				}
				return w.Push(ctx)
			})
			log := e.remote.Log(t)
			if len(log) != 3 {
				t.Fatalf("remote history:\n%s\nwant 3 commits", strings.Join(log, "\n"))
			}
			for i, line := range log {
				hashes := strings.Fields(strings.SplitN(line, "|", 2)[0])
				if want := 2; i < len(log)-1 && len(hashes) != want {
					t.Errorf("commit %q is not linear (one parent)", line)
				}
				if i < len(log)-1 && !strings.HasPrefix(log[i+1], hashes[1]) {
					t.Errorf("commit %q does not follow %q", line, log[i+1])
				}
			}
			if !strings.Contains(log[0], "|"+fgdName+"|") || !strings.HasPrefix(log[1], other) {
				t.Errorf("history = %q, want fgd's commit on top of %s", log, other)
			}
			files := e.remote.Files(t)
			if files["dc1/raw/vpc-3.yaml"] == "" || files["dc1/managed/vpcs/vpc-1.yaml"] == "" {
				t.Errorf("the remote lacks one of the two changes: %v", files)
			}
		})
	}
}

// TestWorktreeOutsideDo: a Worktree kept past Do refuses to work.
func TestWorktreeOutsideDo(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	r := e.open(e.options())
	var kept *git.Worktree
	do(t, r, func(ctx context.Context, w *git.Worktree) error { kept = w; return nil })
	if _, err := kept.Update(context.Background()); err == nil {
		t.Error("Update outside Do succeeded")
	}
	if _, _, err := kept.Commit(context.Background(), "dc1", "x"); err == nil {
		t.Error("Commit outside Do succeeded")
	}
}

// TestCommitNoSpuriousChange: a tree with the names git sorts specially,
// executables, symbolic links and deep directories is rebuilt from the
// working tree hash for hash: Commit of an untouched tree makes no commit,
// at the root or below it.
func TestCommitNoSpuriousChange(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	work := filepath.Join(t.TempDir(), "w")
	gittest.Git(t, t.TempDir(), "clone", "--quiet", e.remote.Dir(), work)
	gittest.WriteFiles(t, work, map[string]string{
		"dc1/a.b": "1", "dc1/a/x": "2", "dc1/a-b": "3", "dc1/a0": "4", "dc1/a+": "5",
		"dc1/bin/run.sh": "#!/bin/sh\n", "dc1/deep/1/2/3/4/f": "deep", "dc1/empty-file": "",
	})
	if err := os.Chmod(filepath.Join(work, "dc1/bin/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../a.b", filepath.Join(work, "dc1/bin/link")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work, "add", "--all")
	gittest.Git(t, work, "commit", "--quiet", "-m", "tricky")
	gittest.Git(t, work, "push", "--quiet", "origin", "HEAD:"+branch)
	head := e.remote.Head(t)

	r := e.open(e.options())
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		if _, err := w.Update(ctx); err != nil {
			return err
		}
		for _, sub := range []string{".", "dc1", "dc1/bin", "dc1/deep/1", "not/there"} {
			h, changed, err := w.Commit(ctx, sub, "fgd: nothing")
			if err != nil || changed || h.String() != head {
				t.Errorf("Commit(%q) of an untouched tree = %s, %v, %v; want %s, false", sub, h, changed, err, head)
			}
		}
		// Removing the whole FGD is a change, and the tree has no empty
		// directories left.
		if err := os.RemoveAll(filepath.Join(r.Dir(), "dc1", "deep")); err != nil {
			return err
		}
		_, changed, err := w.Commit(ctx, "dc1/deep", "fgd: remove")
		if err != nil || !changed {
			t.Errorf("Commit after removing dc1/deep = %v, %v", changed, err)
		}
		return nil
	})
	if out := gittest.Git(t, r.Dir(), "ls-tree", "-r", "--name-only", "HEAD", "dc1/deep"); out != "" {
		t.Errorf("dc1/deep is still in the tree: %q", out)
	}
	gittest.Git(t, r.Dir(), "fsck", "--no-dangling")
	if mode := gittest.Git(t, r.Dir(), "ls-tree", "HEAD", "dc1/bin/run.sh"); !strings.HasPrefix(mode, "100755") {
		t.Errorf("run.sh lost its executable mode: %q", mode)
	}
}

// TestDamagedClone: a clone that lost its objects is cloned again by the
// next Update, which succeeds.
func TestDamagedClone(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	o := e.options()
	r := e.open(o)
	do(t, r, update)
	_ = r.Close()
	packs, _ := filepath.Glob(filepath.Join(o.Dir, ".git", "objects", "pack", "*"))
	if len(packs) == 0 {
		t.Fatal("the clone has no pack files")
	}
	for _, p := range packs {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	r2 := e.open(o)
	do(t, r2, update)
	if got := readFile(t, filepath.Join(o.Dir, "dc1", "switches.yaml")); got != seedFGD()["dc1/switches.yaml"] {
		t.Errorf("after re-cloning, dc1/switches.yaml = %q", got)
	}
}

// TestCloneCrashLeftovers: what a crash (kill -9) can leave in the clone
// while go-git writes does not break the next start, and does not stay.
// go-git rewrites a ref file in place (truncate, then write), so a crash
// can leave it empty, which failed every later sync with "ref file is
// empty": the clone is cloned again. Its temp files of objects and packs
// are removed. (Found by the kill -9 soak, reliability/kill_test.go.)
func TestCloneCrashLeftovers(t *testing.T) {
	cases := []struct {
		name   string
		damage string // a file below .git, made empty
	}{
		{"empty branch ref", "refs/heads/" + branch},
		{"empty tracking ref", "refs/remotes/origin/" + branch},
		{"temp object", "objects/pack/tmp_obj_123456"},
		{"temp pack", "objects/pack/tmp_pack_654321"},
		{"temp packed-refs", "._packed-refs7890"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "file", seedFGD())
			o := e.options()
			r := e.open(o)
			do(t, r, update)
			_ = r.Close()
			damaged := filepath.Join(o.Dir, ".git", filepath.FromSlash(c.damage))
			if err := os.WriteFile(damaged, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			e.remote.Change(t, "someone else's change", map[string]string{"dc1/raw/vpc-3.yaml": "kind: VPC\n"}, nil)
			r2 := e.open(o)
			do(t, r2, update)
			if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "vpc-3.yaml")); got != "kind: VPC\n" {
				t.Errorf("after the restart, dc1/raw/vpc-3.yaml = %q", got)
			}
			if fi, err := os.Stat(damaged); err == nil && fi.Size() == 0 {
				t.Errorf("%s is still there, empty", c.damage)
			}
		})
	}
}
