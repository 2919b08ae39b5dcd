package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// Idle-fleet parameters. The window is long enough for CPU ticks of 10 ms
// to add up, short enough to keep `make bench` under ten minutes.
const (
	idleResources = 50               // VPCs per fabric, as in BenchmarkThousandFabrics
	idleSettle    = 5 * time.Second  // after the last first sync, before RSS is read
	idleWindow    = 30 * time.Second // CPU is measured over this much idle time
	rescanEvery   = 5 * time.Second  // rescan_interval of the rescan-cost run
	defaultRescan = 5 * time.Minute  // rescan_interval's default (docs/configuration.md)
)

// BenchmarkIdleFleet runs the real daemon binary as a child process with N
// dir fabrics of 50 VPCs each and the production defaults (rescan every
// 5 m, debounce 250 ms), waits until /readyz is 200 and every fabric has
// completed its first sync, lets it settle idleSettle, and reports:
//
//   - rss-MiB: the child's VmRSS (what the kernel charges it, including
//     heap the Go runtime freed but has not yet returned);
//   - rss-per-fabric-KiB: RSS / N, dominated by the fixed cost at small N;
//   - marginal-KiB-per-fabric (N > 1): (RSS(N) − RSS(1)) / (N − 1), the
//     honest cost of one more fabric;
//   - cpu-s-per-fabric-hour: the child's CPU time (schedstat: see daemontest.ProcUsage)
//     over an idle window of idleWindow, / N, scaled to an hour. A 30 s
//     window holds none of the 5-minute rescans (their cost is the
//     rescan-cost run below);
//   - first-syncs-s, inotify-fallbacks (fabrics left without an inotify
//     instance: fs.inotify.max_user_instances, 128 by default, is per
//     user), syncs-in-window (should be 0: the fleet is idle).
//
// BenchmarkIdleFleet/rescan-cost runs 100 fabrics with rescan_interval 5s
// and reports cpu-ms-per-rescan (the CPU above the idle fleet's, per
// rescan) and cpu-s-per-fabric-hour-with-rescans: the idle figure of
// fabrics=100 plus 12 rescans an hour at that cost, the default's real
// hourly cost. The daemon logs at debug level here (daemontest.Start), so
// each rescan also pays for one log line that production (info) does not
// write: the figure errs high. Our targets: marginal memory ≤ 512 KiB per
// fabric (500 MiB / 1,000), CPU ≤ 1 s per idle fabric per hour.
func BenchmarkIdleFleet(b *testing.B) {
	bin := daemontest.Build(b)
	var rss1 int64      // RSS of the 1-fabric daemon, for the marginal figure
	var idle100 float64 // cpu-s-per-fabric-hour of fabrics=100
	var haveIdle100 bool
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("fabrics=%d", n), func(b *testing.B) {
			for range b.N {
				f := startIdleFleet(b, bin, n, 0)
				rss := f.usage(b).RSSBytes
				if n == 1 {
					rss1 = rss
				}
				cpu, win := f.idleCPU(b)
				f.stop(b)
				perHour := cpu / float64(n) * float64(time.Hour) / float64(win)
				if n == 100 {
					idle100, haveIdle100 = perHour, true
				}
				b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
				b.ReportMetric(float64(rss)/float64(n)/(1<<10), "rss-per-fabric-KiB")
				if n > 1 {
					if rss1 == 0 {
						one := startIdleFleet(b, bin, 1, 0)
						rss1 = one.usage(b).RSSBytes
						one.stop(b)
					}
					b.ReportMetric(float64(rss-rss1)/float64(n-1)/(1<<10), "marginal-KiB-per-fabric")
				}
				b.ReportMetric(perHour, "cpu-s-per-fabric-hour")
				f.report(b)
			}
		})
	}
	b.Run("rescan-cost", func(b *testing.B) {
		const n = 100
		for range b.N {
			if !haveIdle100 {
				f := startIdleFleet(b, bin, n, 0)
				cpu, win := f.idleCPU(b)
				f.stop(b)
				idle100, haveIdle100 = cpu/n*float64(time.Hour)/float64(win), true
			}
			f := startIdleFleet(b, bin, n, rescanEvery)
			cpu, win := f.idleCPU(b)
			f.stop(b)
			// Fabrics on inotify log each rescan; the others poll on the
			// same period without a log line, so they are counted by time.
			rescans := float64(f.rescans) + float64(f.fallbacks)*float64(win)/float64(rescanEvery)
			if rescans == 0 {
				b.Fatal("no rescan in the window: the rescan count is wrong")
			}
			idleCPU := idle100 * n * float64(win) / float64(time.Hour)
			perRescan := max(cpu-idleCPU, 0) / rescans
			b.ReportMetric(perRescan*1000, "cpu-ms-per-rescan")
			b.ReportMetric(rescans, "rescans")
			b.ReportMetric(idle100+perRescan*float64(time.Hour/defaultRescan), "cpu-s-per-fabric-hour-with-rescans")
			f.report(b)
		}
	})
}

// idleFleet is a running daemon with n dir fabrics, all first-synced.
type idleFleet struct {
	d           *daemontest.Daemon
	n           int
	firstSyncs  time.Duration
	fallbacks   int // fabrics without inotify, polling instead
	rescans     int // "rescan done" log lines in the last idle window
	windowSyncs float64
}

// startIdleFleet writes n fabrics of idleResources VPCs each, starts the
// daemon on them (rescan_interval left at its default when rescan is 0),
// waits for every first sync and then idleSettle.
func startIdleFleet(b *testing.B, bin string, n int, rescan time.Duration) *idleFleet {
	b.Helper()
	dir := b.TempDir()
	var docs strings.Builder
	for j := range idleResources {
		fmt.Fprintf(&docs, "---\n"+e2eVPC, fmt.Sprintf("vpc-%d", j))
	}
	port := daemontest.FreePort(b)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: 127.0.0.1:%d\nstate_dir: %s\nfabrics:\n", port, filepath.Join(dir, "state"))
	for i := range n {
		name := fmt.Sprintf("f%04d", i)
		writeBenchFile(b, filepath.Join(dir, name, "raw", "vpcs.yaml"), docs.String())
		if rescan > 0 {
			fmt.Fprintf(&cfg, "  - name: %s\n    source:\n      dir: {path: %s, rescan_interval: %s}\n", name, filepath.Join(dir, name), rescan)
		} else {
			fmt.Fprintf(&cfg, "  - name: %s\n    source:\n      dir: {path: %s}\n", name, filepath.Join(dir, name))
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	writeBenchFile(b, cfgPath, cfg.String())
	start := time.Now()
	f := &idleFleet{d: daemontest.Start(b, bin, dir, cfgPath, port), n: n}
	benchPoll(b, 10*time.Minute, 100*time.Millisecond, fmt.Sprintf("/readyz and %d first syncs", n), func() bool {
		code, _ := f.d.Get("/readyz")
		return code == 200 && f.successes() >= float64(n)
	})
	f.firstSyncs = time.Since(start)
	f.fallbacks = strings.Count(f.d.Log(), "cannot watch the FGD with inotify")
	settle := time.NewTimer(idleSettle)
	defer settle.Stop()
	<-settle.C
	return f
}

// successes sums fgd_syncs_total{result="success"} over every fabric.
func (f *idleFleet) successes() float64 { return syncSuccesses(f.d) }

// syncSuccesses sums the daemon's fgd_syncs_total{result="success"} over
// every fabric.
func syncSuccesses(d *daemontest.Daemon) float64 {
	var sum float64
	for series, v := range d.Metrics() {
		if strings.HasPrefix(series, "fgd_syncs_total{") && strings.Contains(series, `result="success"`) {
			sum += v
		}
	}
	return sum
}

// idleCPU returns the CPU seconds the daemon used over idleWindow and the
// window's exact length; it also counts the syncs and logged rescans in it.
func (f *idleFleet) idleCPU(b *testing.B) (float64, time.Duration) {
	b.Helper()
	syncs0 := f.successes()
	rescans0 := strings.Count(f.d.Log(), `"rescan done"`)
	cpu0, t0 := f.usage(b).CPUSeconds, time.Now()
	window := time.NewTimer(idleWindow)
	defer window.Stop()
	<-window.C
	cpu1, t1 := f.usage(b).CPUSeconds, time.Now()
	f.rescans = strings.Count(f.d.Log(), `"rescan done"`) - rescans0
	// The metrics scrape after the window is not charged to it.
	f.windowSyncs = f.successes() - syncs0
	return cpu1 - cpu0, t1.Sub(t0)
}

// report adds the fleet's context metrics.
func (f *idleFleet) report(b *testing.B) {
	b.ReportMetric(f.firstSyncs.Seconds(), "first-syncs-s")
	b.ReportMetric(float64(f.fallbacks), "inotify-fallbacks")
	b.ReportMetric(f.windowSyncs, "syncs-in-window")
}

// stop ends the daemon with SIGTERM, as systemd would.
func (f *idleFleet) stop(b *testing.B) {
	b.Helper()
	if err := f.d.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	if err := f.d.Wait(time.Minute); err != nil {
		b.Fatalf("the daemon did not stop cleanly within a minute of SIGTERM: %v", err)
	}
}

// usage reads the daemon's resident set and CPU time from /proc.
func (f *idleFleet) usage(tb testing.TB) daemontest.Usage { return procUsage(tb, f.d) }

// procUsage reads d's resident set and CPU time from /proc.
func procUsage(tb testing.TB, d *daemontest.Daemon) daemontest.Usage {
	tb.Helper()
	u, err := daemontest.ProcUsage(d.PID())
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
