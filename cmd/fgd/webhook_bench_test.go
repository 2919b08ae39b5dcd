package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// BenchmarkWebhookToCommit measures, against the real daemon, the time from
// a signed GitHub push webhook to fgd's commit on the remote (commit-ms)
// and to the resource in the tree the fabric's directory sink publishes
// under current/ (published-ms: the end of the sync), for a git fabric
// whose poll interval is an hour (so only the webhook can explain it).
// Target: within 1 s.
func BenchmarkWebhookToCommit(b *testing.B) {
	bin := daemontest.Build(b)
	dir := b.TempDir()
	remote := gittest.NewRemote(b, dir, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	secret := gittest.WriteSecret(b, dir, "hook-secret", hookSecret)
	port := daemontest.FreePort(b)
	cfg := filepath.Join(dir, "config.yaml")
	out := filepath.Join(dir, "published")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\nfabrics:\n  - name: dc1\n    source:\n      git: {url: %q, branch: main, path: fgd, interval: 1h, webhook_secret_file: %s}\n"+
		"    sinks:\n      - directory: {path: %s}\n",
		port, remote.FileURL(), secret, out)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	d := daemontest.Start(b, bin, dir, cfg, port)
	has := func(path string) bool {
		_, err := gittest.RunGit(remote.Dir(), "cat-file", "-e", "refs/heads/main:"+path)
		return err == nil
	}
	published := func(name string) bool {
		_, err := os.Stat(filepath.Join(out, "current", "vpcs", name+".yaml"))
		return err == nil
	}
	d.WaitFor("the startup sync", daemonWait, func() bool { return has("fgd/managed/vpcs/vpc-a.yaml") && published("vpc-a") })
	var toCommit, toPublished time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// Each webhook starts with the fabric idle, so it measures one
		// push on its own, not a queue behind the last one.
		benchPoll(b, time.Minute, 5*time.Millisecond, "the fabric to be idle", func() bool { return d.Metric("fgd_active_syncs") == 0 })
		name := fmt.Sprintf("vpc-hook-%d", i)
		remote.Change(b, "drop "+name, map[string]string{"fgd/raw/" + name + ".yaml": fmt.Sprintf(e2eVPC, name)}, nil)
		b.StartTimer()
		start := time.Now()
		signedGitHubPush(b, d.Base, hookSecret, remote.FileURL())
		// One poller watches both: the published tree is a cheap stat,
		// the commit a git process, and the sink publishes only after the
		// push, so the commit is the first to show.
		var committed, done time.Time
		benchPoll(b, time.Minute, time.Millisecond, name+" committed and published", func() bool {
			if committed.IsZero() && has("fgd/managed/vpcs/"+name+".yaml") {
				committed = time.Now()
			}
			if done.IsZero() && published(name) {
				done = time.Now()
			}
			return !committed.IsZero() && !done.IsZero()
		})
		toCommit += committed.Sub(start)
		toPublished += done.Sub(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(toCommit.Microseconds())/1000/float64(b.N), "commit-ms")
	b.ReportMetric(float64(toPublished.Microseconds())/1000/float64(b.N), "published-ms")
}
