package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// BenchmarkHealthzUnderConnectionFlood measures GET /healthz, each on a
// fresh connection, on the real daemon while 5,000 idle connections are
// held and a flooder keeps opening new ones: the latency a liveness probe
// sees when a local user floods the API (target: p99 < 100 ms).
func BenchmarkHealthzUnderConnectionFlood(b *testing.B) {
	bin := daemontest.Build(b)
	d, _ := startFloodDaemon(b, bin)
	holdIdle(b, d.Base, floodConns, floodConns, nil)

	ctx, stop := context.WithCancel(context.Background())
	var flooders sync.WaitGroup
	flooders.Add(1)
	go func() { // keeps the cap under pressure: a new idle connection at a time
		defer flooders.Done()
		addr := d.Base[len("http://"):]
		ring := make([]net.Conn, 0, floodCap)
		defer func() {
			for _, c := range ring {
				_ = c.Close()
			}
		}()
		for i := 0; ctx.Err() == nil; i++ {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				continue
			}
			if len(ring) < floodCap {
				ring = append(ring, c)
			} else {
				_ = ring[i%floodCap].Close()
				ring[i%floodCap] = c
			}
		}
	}()
	defer func() { stop(); flooders.Wait() }()

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	lat := make([]time.Duration, 0, b.N)
	failed := 0
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		resp, err := client.Get(d.Base + "/healthz")
		if err != nil {
			failed++
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			failed++
			continue
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d /healthz requests failed during the flood", failed, b.N)
	}
	reportPercentiles(b, lat)
	u, err := daemontest.ProcUsage(d.PID())
	if err == nil {
		b.ReportMetric(float64(u.FDs), "daemon-fds")
	}
}
