package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// BenchmarkFirstWriteBack5000 measures, end to end through the real
// daemon, fgd's first write-back after a fresh clone of the 5,000-resource
// repository: each iteration starts a daemon with an empty state_dir (so
// its startup sync clones the repository over loopback smart HTTP), then a
// user pushes a new VPC into raw/ and a signed webhook wakes the fabric
// (poll 1 h). writeback-ms runs from the push to fgd's commit of that
// ingestion on the remote: fetch, ingestion, commit and push. The floor,
// git-commit-ms, is `git add -A && git commit && git push` of the same
// change (the files fgd's commit changed) in a fresh CLI clone of an
// identical remote on the same server; x-git-commit is the ratio.
// Targets: < 2 s and ≤ 2×. The unit-level BenchmarkFirstCommitAfterClone5000
// of sources/git times the commit and push alone.
func BenchmarkFirstWriteBack5000(b *testing.B) {
	bin := daemontest.Build(b)
	var fgd, floor time.Duration
	for i := range b.N {
		b.StopTimer()
		r := startGitRig(b, bin, "1h")
		seed := r.remote.Head(b)
		cliURL := strings.TrimSuffix(r.url, r.remote.Name) + "cli.git"
		newFabric5000Remote(b, bin, r.root, "cli.git")
		cli := filepath.Join(b.TempDir(), "cli")
		gittest.Git(b, r.root, "clone", "--quiet", "--branch", "main", cliURL, cli)
		name := fmt.Sprintf("vpc-writeback-%d", i)
		r.commitRaw(b, name, 4000+i)
		b.StartTimer()

		r.push(b)
		start := time.Now()
		pushed := r.remote.Head(b)
		signedGitHubPush(b, r.d.Base, hookSecret, r.url)
		head := waitForFgdCommit(b, r.remote, pushed)
		fgd += time.Since(start)
		b.StopTimer()
		managed := fabric5000Path + "/managed/vpcs/" + name + ".yaml"
		if _, err := gittest.RunGit(r.remote.Dir(), "cat-file", "-e", head+":"+managed); err != nil {
			b.Fatalf("fgd's commit %s lacks %s: %v", head, managed, err)
		}

		// The same change in the CLI clone: what fgd's commit holds
		// against the seed (the raw file it archived is gone again).
		applyDiff(b, r.remote.Dir(), seed, head, cli)
		start = time.Now()
		gittest.Git(b, cli, "add", "-A")
		gittest.Git(b, cli, "commit", "--quiet", "-m", "ingest "+name)
		gittest.Git(b, cli, "push", "--quiet", "origin", "HEAD:refs/heads/main")
		floor += time.Since(start)
		if err := r.d.Stop(time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(ms(fgd)/n, "writeback-ms")
	b.ReportMetric(ms(floor)/n, "git-commit-ms")
	b.ReportMetric(float64(fgd)/float64(floor), "x-git-commit")
}

// waitForFgdCommit waits until the remote's main moved past pushed to a
// commit of fgd's whose parent is pushed, and returns it. Only the ref
// file is read while waiting (a git process every millisecond would take
// CPU from the daemon being measured).
func waitForFgdCommit(b *testing.B, remote *gittest.Remote, pushed string) string {
	b.Helper()
	ref := filepath.Join(remote.Dir(), "refs", "heads", remote.Branch)
	var head string
	benchPoll(b, 5*time.Minute, time.Millisecond, "fgd's commit on the remote", func() bool {
		data, err := os.ReadFile(ref)
		head = strings.TrimSpace(string(data))
		return err == nil && head != pushed
	})
	parent := gittest.Git(b, remote.Dir(), "rev-parse", head+"^")
	author := gittest.Git(b, remote.Dir(), "log", "-1", "--format=%an", head)
	if parent != pushed || author == gittest.AuthorName {
		b.Fatalf("the remote's head %s (by %s, parent %s) is not fgd's commit on the pushed %s", head, author, parent, pushed)
	}
	return head
}

// applyDiff writes into the work tree dst what changed in repo between the
// commits from and to: added and modified files with to's content,
// deleted ones removed.
func applyDiff(b *testing.B, repo, from, to, dst string) {
	b.Helper()
	out := gittest.Git(b, repo, "diff-tree", "-r", "--no-renames", "--name-status", from, to)
	for _, line := range strings.Split(out, "\n") {
		status, path, ok := strings.Cut(line, "\t")
		if !ok {
			b.Fatalf("git diff-tree: unexpected line %q", line)
		}
		if status == "D" {
			if err := os.Remove(filepath.Join(dst, filepath.FromSlash(path))); err != nil {
				b.Fatal(err)
			}
			continue
		}
		gittest.WriteFiles(b, dst, map[string]string{path: gittest.Git(b, repo, "show", to+":"+path) + "\n"})
	}
}
