package git_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// benchFiles is a 5,000-file repository: an FGD's managed resources.
func benchFiles() map[string]string {
	kinds := []string{"vpcs", "vpcattachments", "connections", "servers", "switches"}
	files := map[string]string{}
	for i := 0; i < 5000; i++ {
		kind := kinds[i%len(kinds)]
		files[fmt.Sprintf("dc1/managed/%s/res-%05d.yaml", kind, i)] = fmt.Sprintf(
			"apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: res-%05d\n  annotations:\n    hnp.githedgehog.com/managed-by: fgd\nspec:\n  subnets:\n    default: {subnet: 10.%d.%d.0/24, vlan: %d}\n",
			i, i/256, i%256, 1000+i)
	}
	return files
}

// BenchmarkGitVsCLI compares fgd's go-git source with the git CLI on one
// local smart-HTTP remote holding 5,000 files: the initial sync (Open +
// Update into an empty directory) against `git clone --depth 1
// --single-branch`, and the no-change poll (RemoteHead) against `git
// ls-remote`. x-clone and x-ls-remote are fgd's time over git's (targets:
// ≤ 2 and ≤ 1).
func BenchmarkGitVsCLI(b *testing.B) {
	root := b.TempDir()
	gittest.NewRemote(b, root, "big.git", branch, benchFiles())
	srv := gittest.NewHTTPServer(b, root, "", "")
	url := srv.URL("big.git")
	ctx := context.Background()

	var fgdSync, cliClone, fgdPoll, cliPoll time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()

		start := time.Now()
		gittest.Git(b, dir, "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, url, "cli")
		cliClone += time.Since(start)

		start = time.Now()
		r, err := git.Open(git.Options{URL: url, Branch: branch, Dir: filepath.Join(dir, "fgd")})
		if err != nil {
			b.Fatal(err)
		}
		err = r.Do(ctx, func(ctx context.Context, w *git.Worktree) error {
			_, err := w.Update(ctx)
			return err
		})
		fgdSync += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		gittest.Git(b, dir, "ls-remote", url, "refs/heads/"+branch)
		cliPoll += time.Since(start)

		start = time.Now()
		if _, err := r.RemoteHead(ctx); err != nil {
			b.Fatal(err)
		}
		fgdPoll += time.Since(start)
		_ = r.Close()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(fgdSync.Seconds()*1e3/n, "ms-sync")
	b.ReportMetric(cliClone.Seconds()*1e3/n, "ms-git-clone")
	b.ReportMetric(fgdPoll.Seconds()*1e3/n, "ms-poll")
	b.ReportMetric(cliPoll.Seconds()*1e3/n, "ms-git-ls-remote")
	b.ReportMetric(fgdSync.Seconds()/cliClone.Seconds(), "x-clone")
	b.ReportMetric(fgdPoll.Seconds()/cliPoll.Seconds(), "x-ls-remote")
}

// BenchmarkFirstCommitAfterClone5000 measures fgd's first write-back after
// a fresh clone of a 5,000-file repository: one new file in the FGD's raw/,
// committed and pushed, against `git add -A && git commit && git push` of
// the git CLI in its own fresh clone for the same change. The clones are
// not timed. ms-commit is fgd's time, ms-git-commit git's, x-commit the
// ratio (targets: < 2 s and ≤ 2).
func BenchmarkFirstCommitAfterClone5000(b *testing.B) {
	ctx := context.Background()
	change := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: bench\n"
	var fgdCommit, cliCommit time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		fgdRemote := gittest.NewRemote(b, root, "fgd.git", branch, benchFiles())
		cliRemote := gittest.NewRemote(b, root, "cli.git", branch, benchFiles())
		cli := filepath.Join(root, "cli")
		gittest.Git(b, root, "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, cliRemote.FileURL(), cli)
		r, err := git.Open(git.Options{URL: fgdRemote.FileURL(), Branch: branch, Dir: filepath.Join(root, "fgd"),
			Author: config.Author{Name: fgdName, Email: fgdEmail}})
		if err != nil {
			b.Fatal(err)
		}
		err = r.Do(ctx, func(ctx context.Context, w *git.Worktree) error {
			_, err := w.Update(ctx)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		gittest.WriteFiles(b, r.Dir(), map[string]string{"dc1/raw/bench.yaml": change})
		gittest.WriteFiles(b, cli, map[string]string{"dc1/raw/bench.yaml": change})
		b.StartTimer()

		start := time.Now()
		err = r.Do(ctx, func(ctx context.Context, w *git.Worktree) error {
			if _, ok, err := w.Commit(ctx, "dc1", "fgd: bench"); err != nil || !ok {
				return fmt.Errorf("commit: changed %v: %v", ok, err)
			}
			return w.Push(ctx)
		})
		fgdCommit += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		gittest.Git(b, cli, "add", "-A")
		gittest.Git(b, cli, "commit", "--quiet", "-m", "bench")
		gittest.Git(b, cli, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
		cliCommit += time.Since(start)

		b.StopTimer()
		if got, want := fgdRemote.Files(b)["dc1/raw/bench.yaml"], strings.TrimSpace(change); got != want {
			b.Fatalf("the remote has %q, want %q", got, want)
		}
		_ = r.Close()
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(fgdCommit.Seconds()*1e3/n, "ms-commit")
	b.ReportMetric(cliCommit.Seconds()*1e3/n, "ms-git-commit")
	b.ReportMetric(fgdCommit.Seconds()/cliCommit.Seconds(), "x-commit")
}
