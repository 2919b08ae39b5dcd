package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// gitFleetFabrics is how many 5,000-resource git fabrics the fleet runs.
const gitFleetFabrics = 20

// gitFleetMemoryLimitMiB is the fleet's memory_limit_mib, as
// docs/configuration.md advises: about 1.5 × its live heap at rest (which
// the benchmark reports as live-heap-MiB, so the advice can be checked).
// Without it the runtime lets the heap grow to twice what is live.
const gitFleetMemoryLimitMiB = 280

// BenchmarkGitFleet5000 runs the real daemon with 20 git fabrics of 5,000
// resources each (one repository each, all served by one loopback
// smart-HTTP server), polled every second, each published by a directory
// sink. Once /readyz is 200 and every fabric has completed its first sync,
// and after idleSettle, it reads the daemon's VmRSS (rss-MiB) and its CPU
// time over idleWindow (cpu-pct: percent of one core; see
// daemontest.ProcUsage), and counts the head checks the remotes answered
// in that window (polls-in-window: the fleet is idle, not asleep).
// The daemon runs with memory_limit_mib (gitFleetMemoryLimitMiB), and the
// benchmark reports its live heap (go_gc_heap_live_bytes) beside its RSS.
// Targets: RSS < 300 MiB, idle CPU < 5% of a core.
func BenchmarkGitFleet5000(b *testing.B) {
	bin := daemontest.Build(b)
	for range b.N {
		root, dir := b.TempDir(), b.TempDir()
		srv := gittest.NewHTTPServer(b, root, "", "")
		var cfg strings.Builder
		fmt.Fprintf(&cfg, "memory_limit_mib: %d\nfabrics:\n", gitFleetMemoryLimitMiB)
		for i := range gitFleetFabrics {
			repo := fmt.Sprintf("fabric-%02d.git", i)
			newFabric5000Remote(b, bin, root, repo)
			fmt.Fprintf(&cfg, "  - name: %s\n    source:\n      git: {url: %q, branch: main, path: %s, interval: 1s}\n"+
				"    sinks:\n      - directory: {path: %s}\n", fabric5000Name+fmt.Sprintf("-%02d", i), srv.URL(repo), fabric5000Path,
				filepath.Join(dir, "published", repo))
		}
		cfgPath, port := daemontest.Config(b, dir, cfg.String())
		start := time.Now()
		d := daemontest.Start(b, bin, dir, cfgPath, port)
		d.WaitFor(fmt.Sprintf("/readyz and %d first syncs", gitFleetFabrics), 15*time.Minute, func() bool {
			code, _ := d.Get("/readyz")
			return code == 200 && syncSuccesses(d) >= gitFleetFabrics
		})
		firstSyncs := time.Since(start)
		settle := time.NewTimer(idleSettle)
		<-settle.C
		rss := procUsage(b, d).RSSBytes
		live := heapLiveBytes(b, d)
		polls0, _, _ := srv.Counts()
		cpu0, t0 := procUsage(b, d).CPUSeconds, time.Now()
		window := time.NewTimer(idleWindow)
		<-window.C
		cpu1, t1 := procUsage(b, d).CPUSeconds, time.Now()
		polls1, _, _ := srv.Counts()
		if polls1 == polls0 {
			b.Fatal("no head check reached the remotes in the idle window: the fabrics are not polling")
		}
		b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
		b.ReportMetric(live/(1<<20), "live-heap-MiB")
		b.ReportMetric(gitFleetMemoryLimitMiB, "limit-MiB")
		b.ReportMetric((cpu1-cpu0)/t1.Sub(t0).Seconds()*100, "cpu-pct")
		b.ReportMetric(float64(polls1-polls0), "polls-in-window")
		b.ReportMetric(firstSyncs.Seconds(), "first-syncs-s")
		if err := d.Stop(time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// heapLiveBytes reads go_gc_heap_live_bytes from the daemon's /metrics.
func heapLiveBytes(b *testing.B, d *daemontest.Daemon) float64 {
	b.Helper()
	code, body := d.Get("/metrics")
	if code != 200 {
		b.Fatalf("/metrics = %d", code)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, "go_gc_heap_live_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				b.Fatalf("go_gc_heap_live_bytes %q: %v", v, err)
			}
			return f
		}
	}
	b.Fatal("/metrics has no go_gc_heap_live_bytes")
	return 0
}
