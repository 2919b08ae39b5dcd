package reconciler_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sinks/directory"
)

// BenchmarkHeapPerResource5000 measures the long-lived heap a daemon holds
// for one fabric of 5,000 resources at rest: the store with the desired set
// and the directory sink's inventory, the managed cache and the sink, after
// the fabric's first sync on a temp FGD whose managed/ holds the 5,000.
// heap-bytes/resource is the heap the fabric added, less the normalized
// bytes themselves, per resource: what is held beside the one copy of each
// resource's bytes (target ≤ 3 KiB). A sync's record of what it changed
// (state.Sync.Changes) is history kept per sync, not state per resource,
// and a first sync records none.
func BenchmarkHeapPerResource5000(b *testing.B) {
	const n = 5000
	var perSum, bodySum float64
	for range b.N {
		b.StopTimer()
		per, body := heapPerResource(b, n)
		perSum += per
		bodySum += body
	}
	b.ReportMetric(perSum/float64(b.N), "heap-bytes/resource")
	b.ReportMetric(bodySum/float64(b.N), "body-bytes/resource")
}

// heapPerResource starts a fabric of n resources and returns the live heap
// it added beyond their normalized bytes, and those bytes, per resource.
func heapPerResource(b *testing.B, n int) (per, body float64) {
	root, out := b.TempDir(), b.TempDir()
	burst(b, root, n)
	reg, err := resource.NewRegistry()
	if err != nil {
		b.Fatal(err)
	}
	if rep, err := ingest.Run(context.Background(), root, reg, ingest.Options{Fabric: "lab"}); err != nil || rep.Created != n {
		b.Fatalf("ingest: %v (%+v)", err, rep)
	}
	store, err := state.New()
	if err != nil {
		b.Fatal(err)
	}
	p, err := directory.New(directory.Options{Path: out, Prune: true})
	if err != nil {
		b.Fatal(err)
	}
	h := newHarness(b, reconciler.Options{Store: store, StateDir: b.TempDir()})
	defer h.stop()
	before := liveHeap()

	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1",
		Sinks: []reconciler.SinkSpec{{Name: "directory-0", Sink: directory.NewSink(p), Prune: true}}})
	waitFor(b, "the first sync", func() bool { f := h.fabric("lab"); return f.Attempted && !f.Syncing })
	if f := h.fabric("lab"); f.Last == nil || f.Last.State != reconciler.StateCompleted || published(out) != n {
		b.Fatalf("first sync: %+v, %d published", f.Last, published(out))
	}
	after := liveHeap()
	bodies := managedBytes(b, root)
	runtime.KeepAlive(h)
	runtime.KeepAlive(store)
	return (float64(after) - float64(before) - float64(bodies)) / float64(n), float64(bodies) / float64(n)
}

// waitFor polls cond; the limit only catches a hang.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// published counts the VPC files the directory sink published.
func published(out string) int {
	entries, _ := os.ReadDir(filepath.Join(out, "current", "vpcs"))
	return len(entries)
}

// managedBytes is the size of all files in managed/'s VPC folder.
func managedBytes(tb testing.TB, root string) int64 {
	entries, err := os.ReadDir(filepath.Join(root, "managed", "vpcs"))
	if err != nil {
		tb.Fatal(err)
	}
	var sum int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			sum += fi.Size()
		}
	}
	return sum
}
