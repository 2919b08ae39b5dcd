package git_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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
