package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// BenchmarkFabricsList measures GET /api/v1/fabrics over real HTTP with
// 1,000 fabrics of 50 desired resources each in the store, and reports the
// latency percentiles in µs (the target: p99 < 50 ms).
func BenchmarkFabricsList(b *testing.B) {
	e := newAPIEnv(b, envConfig{})
	kinds := []string{"VPC", "Switch", "Server", "Connection", "VPCAttachment"}
	for i := range 1000 {
		name := fmt.Sprintf("fabric-%04d", i)
		if err := e.store.UpsertFabric(state.Fabric{Name: name, State: state.FabricIdle, Revision: "0123456789abcdef", LastSuccess: t0}); err != nil {
			b.Fatal(err)
		}
		rs := make([]state.Resource, 50)
		for j := range rs {
			rs[j] = res(kinds[j%len(kinds)], fmt.Sprintf("r-%02d", j))
		}
		e.desired(b, name, "0123456789abcdef", rs...)
	}
	client := &http.Client{}
	lat := make([]time.Duration, 0, b.N)
	size := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Get(e.url + "/api/v1/fabrics")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET /api/v1/fabrics = %d, %v", resp.StatusCode, err)
		}
		lat = append(lat, time.Since(start))
		size = int(n)
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(size), "body-bytes")
}
