package reconciler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/reconciler"
)

// burst writes n files into root/raw as fast as it can, each one VPC, and
// returns when the last one is written.
func burst(tb testing.TB, root string, n int) time.Time {
	tb.Helper()
	raw := filepath.Join(root, "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		p := filepath.Join(raw, fmt.Sprintf("vpc-%05d.yaml", i))
		if err := os.WriteFile(p, []byte(vpcDoc(fmt.Sprintf("vpc-%05d", i))), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Now()
}

// countManaged counts the VPC files in managed/.
func countManaged(root string) int {
	entries, _ := os.ReadDir(filepath.Join(root, "managed", "vpcs"))
	n := 0
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".yaml" {
			n++
		}
	}
	return n
}

// The acceptance point: 5,000 files in one burst are all ingested,
// none missed, in a bounded number of syncs (coalescing, not one per event).
// How fast is BenchmarkBurst5000's to measure (make bench): the wait here
// only catches a hang, so it passes on a loaded machine under -race.
func TestBurstOf5000FilesIsIngestedInFewSyncs(t *testing.T) {
	const n = 5000
	root := t.TempDir()
	h := newHarness(t, reconciler.Options{})
	h.apply(dirSpec("lab", root))
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	before := h.fabric("lab").Syncs

	burst(t, root, n)
	waitProgress(t, fmt.Sprintf("%d files managed", n), func() (int, bool) {
		f := h.fabric("lab")
		managed := countManaged(root)
		return managed + f.Syncs, managed == n && !f.Syncing
	})
	raw, _ := os.ReadDir(filepath.Join(root, "raw"))
	for _, e := range raw {
		if e.Name() != ".gitkeep" {
			t.Errorf("raw/%s was left behind", e.Name())
		}
	}
	syncs := h.fabric("lab").Syncs - before
	t.Logf("%d files ingested in %d syncs", n, syncs)
	// Debounced events and coalesced triggers: a handful of syncs, far from
	// one per file. 50 is a generous bound for a slow, loaded machine.
	if syncs > 50 {
		t.Errorf("%d files took %d syncs; triggers are not coalescing", n, syncs)
	}
}

// waitProgress waits until step reports done. It fails only on a hang: when
// step's progress count has not moved for stallLimit, or after waitLimit in
// all; a slow machine that keeps making progress passes.
func waitProgress(t *testing.T, what string, step func() (progress int, done bool)) {
	t.Helper()
	const waitLimit, stallLimit = 8 * time.Minute, 3 * time.Minute
	start := time.Now()
	last, moved := -1, start
	for {
		n, done := step()
		if done {
			return
		}
		now := time.Now()
		if n != last {
			last, moved = n, now
		}
		switch {
		case now.Sub(moved) > stallLimit:
			t.Fatalf("waiting for %s: no progress for %s (progress count %d)", what, stallLimit, n)
		case now.Sub(start) > waitLimit:
			t.Fatalf("waiting for %s: still not done after %s, though progressing (count %d)", what, waitLimit, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkBurst5000 reports the time from the last of 5,000 files written
// into raw/ to the last managed file present, and how many syncs it took.
func BenchmarkBurst5000(b *testing.B) {
	const n = 5000
	var totalLatency time.Duration
	var totalSyncs int
	for range b.N {
		b.StopTimer()
		root := b.TempDir()
		h := newHarness(b, reconciler.Options{})
		h.apply(dirSpec("lab", root))
		for !h.fabric("lab").Attempted {
			time.Sleep(10 * time.Millisecond)
		}
		before := h.fabric("lab").Syncs
		b.StartTimer()
		last := burst(b, root, n)
		for countManaged(root) < n {
			time.Sleep(5 * time.Millisecond)
		}
		totalLatency += time.Since(last)
		b.StopTimer()
		for h.fabric("lab").Syncing {
			time.Sleep(5 * time.Millisecond)
		}
		totalSyncs += h.fabric("lab").Syncs - before
		h.stop()
	}
	b.ReportMetric(float64(totalLatency.Milliseconds())/float64(b.N), "ms-last-write-to-managed")
	b.ReportMetric(float64(totalSyncs)/float64(b.N), "syncs")
}
