package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// BenchmarkDropToPublished measures, against the real daemon, the time from
// a VPC file written into a dir fabric's raw/ to that VPC present in the
// tree its directory sink publishes under current/: what an operator who
// drops a file waits for. The fabric keeps its default debounce (250 ms:
// the watcher waits that long after the last event, and the sync leaves
// files younger than that for the next sync), so the figure includes it.
// It reports p50-ms, p99-ms and max-ms over the iterations. Our target:
// p99 < 1 s.
func BenchmarkDropToPublished(b *testing.B) {
	bin := daemontest.Build(b)
	dir := b.TempDir()
	fgdRoot := filepath.Join(dir, "lab")
	out := filepath.Join(dir, "published")
	writeBenchFile(b, filepath.Join(fgdRoot, "raw", "vpc-seed.yaml"), fmt.Sprintf(e2eVPC, "vpc-seed"))
	port := daemontest.FreePort(b)
	cfg := filepath.Join(dir, "config.yaml")
	writeBenchFile(b, cfg, fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\nfabrics:\n"+
		"  - name: lab\n    source:\n      dir: {path: %s}\n    sinks:\n      - directory: {path: %s}\n", port, fgdRoot, out))
	d := daemontest.Start(b, bin, dir, cfg, port)
	published := func(name string) bool {
		_, err := os.Stat(filepath.Join(out, "current", "vpcs", name+".yaml"))
		return err == nil
	}
	benchPoll(b, time.Minute, 5*time.Millisecond, "the startup sync to publish vpc-seed", func() bool { return published("vpc-seed") })

	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// Each drop starts with the fabric idle and raw/ empty, so it
		// measures one file on its own, not a queue behind the last one.
		benchPoll(b, time.Minute, 5*time.Millisecond, "the fabric to be idle", func() bool {
			return d.Metric("fgd_active_syncs") == 0 && rawEmpty(fgdRoot)
		})
		name := fmt.Sprintf("vpc-drop-%d", i)
		b.StartTimer()
		start := time.Now()
		writeBenchFile(b, filepath.Join(fgdRoot, "raw", name+".yaml"), fmt.Sprintf(e2eVPC, name))
		benchPoll(b, time.Minute, time.Millisecond, name+" in the published tree", func() bool { return published(name) })
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// rawEmpty reports whether root/raw holds nothing but dotfiles.
func rawEmpty(root string) bool {
	entries, err := os.ReadDir(filepath.Join(root, "raw"))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			return false
		}
	}
	return true
}

// reportPercentiles reports p50-ms, p99-ms and max-ms of lat.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(s[(len(s)-1)/2]), "p50-ms")
	b.ReportMetric(ms(s[(len(s)-1)*99/100]), "p99-ms")
	b.ReportMetric(ms(s[len(s)-1]), "max-ms")
}

// writeBenchFile writes content to path, creating its folder.
func writeBenchFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// benchPoll checks cond every `every` until it holds, and fails the
// benchmark after limit. It returns when cond first held.
func benchPoll(tb testing.TB, limit, every time.Duration, what string, cond func() bool) time.Time {
	tb.Helper()
	if cond() {
		return time.Now()
	}
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			tb.Fatalf("gave up after %s waiting for %s", limit, what)
		case <-tick.C:
			if cond() {
				return time.Now()
			}
		}
	}
}
