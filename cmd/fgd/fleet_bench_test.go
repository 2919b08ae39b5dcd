package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// BenchmarkThousandFabrics: 1,000 dir fabrics of 50 resources each in one
// daemon. It reports the time until every fabric has completed its first
// sync, the peak RSS of the process, and p50/p99 of GET /api/v1/fabrics
// issued at 200 requests/s meanwhile. Targets: all first syncs < 4 min,
// RSS < 500 MiB, p99 < 50 ms on 2 cores.
func BenchmarkThousandFabrics(b *testing.B) {
	const fabrics, perFabric = 1000, 50
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		var cfg strings.Builder
		port := daemontest.FreePort(b)
		fmt.Fprintf(&cfg, "listen: 127.0.0.1:%d\nstate_dir: %s\nfabrics:\n", port, filepath.Join(dir, "state"))
		for i := range fabrics {
			name := fmt.Sprintf("f%04d", i)
			var docs strings.Builder
			for j := range perFabric {
				fmt.Fprintf(&docs, "---\n"+e2eVPC, fmt.Sprintf("vpc-%d", j))
			}
			p := filepath.Join(dir, name, "raw", "vpcs.yaml")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(docs.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(&cfg, "  - name: %s\n    source:\n      dir: {path: %s, rescan_interval: 1h}\n", name, filepath.Join(dir, name))
		}
		cfgPath := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		c, err := config.Load(cfgPath)
		if err != nil {
			b.Fatal(err)
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- runDaemon(c, slog.New(slog.DiscardHandler)) }()

		var mu sync.Mutex
		var lat []time.Duration
		stop := make(chan struct{})
		loadDone := make(chan struct{})
		go func() {
			defer close(loadDone)
			tick := time.NewTicker(5 * time.Millisecond) // 200 requests/s
			defer tick.Stop()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					go func() {
						t0 := time.Now()
						resp, err := client.Get(base + "/api/v1/fabrics")
						if err != nil {
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 {
							mu.Lock()
							lat = append(lat, time.Since(t0))
							mu.Unlock()
						}
					}()
				}
			}
		}()
		for {
			resp, err := http.Get(base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 10*time.Minute {
				b.Fatal("the first syncs did not all end within 10 minutes")
			}
			time.Sleep(100 * time.Millisecond)
		}
		firstSyncs := time.Since(start)
		b.StopTimer()
		close(stop)
		<-loadDone
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
		b.ReportMetric(float64(len(lat)), "requests")
		mu.Unlock()
		b.ReportMetric(firstSyncs.Seconds(), "first-syncs-s")
		b.ReportMetric(float64(peakRSSBytes())/(1<<20), "peak-rss-MiB")
	}
}

// peakRSSBytes is the process's peak resident set (VmHWM).
func peakRSSBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
