package dir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// writeBurst writes n small YAML files into dir as fast as it can.
func writeBurst(tb testing.TB, dir, prefix string, n int) {
	tb.Helper()
	for i := range n {
		mustWrite(tb, filepath.Join(dir, fmt.Sprintf("%s-%05d.yaml", prefix, i)), vpcYAML)
	}
}

// TestBurst5000 writes 5,000 files in one burst: it must become a handful of
// triggers, and Pending must see the work.
func TestBurst5000(t *testing.T) {
	h := startHarness(t, harnessConfig{opts: Options{Debounce: DefaultDebounce}})
	before := h.count()
	start := time.Now()
	writeBurst(t, filepath.Join(h.root, "raw"), "burst", 5000)
	h.barrier() // every event of the burst has been handled
	streamed := time.Since(start)
	h.waitReasonAfter(before, ReasonChange)
	h.settle()

	got := h.rec.all()[before:]
	// While the stream lasts, a trigger comes at most every max delay; one
	// more ends it. The slack absorbs writer stalls longer than the debounce
	// on a loaded machine; one trigger per file would be thousands.
	maxDelay := maxDelayFactor * DefaultDebounce
	limit := int(streamed/maxDelay) + 5
	t.Logf("5000 files written and handled in %s: %d triggers %v", streamed, len(got), reasonsOf(got))
	if len(got) > limit {
		t.Errorf("%d triggers for one burst, want at most %d", len(got), limit)
	}
	pending, err := h.w.Pending()
	if err != nil || !pending {
		t.Errorf("Pending() = %v, %v; want true, nil", pending, err)
	}
}

// TestOverflowInjected hands fsnotify.ErrEventOverflow to the watcher through
// the test hook that feeds its error path (a real overflow cannot be forced on
// demand without changing the system-wide fs.inotify.max_queued_events; see
// TestOverflowReal for the real thing): it must rescan and trigger only when
// work is pending.
func TestOverflowInjected(t *testing.T) {
	tests := []struct {
		name  string
		setup func(root string)
		want  bool
	}{
		{name: "work pending", want: true, setup: func(root string) {
			mustWrite(t, filepath.Join(root, "raw", "vpc.yaml"), vpcYAML)
		}},
		{name: "stray YAML pending", want: true, setup: func(root string) {
			mustMkdir(t, filepath.Join(root, "site"))
			mustWrite(t, filepath.Join(root, "site", "vpc.yml"), vpcYAML)
		}},
		{name: "nothing pending", setup: func(root string) {
			mustWrite(t, filepath.Join(root, "managed", "vpcs", "vpc-1.yaml"), vpcYAML)
			mustWrite(t, filepath.Join(root, "README.md"), "# fabric\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inject := make(chan error)
			h := startHarness(t, harnessConfig{setup: tt.setup, inject: inject})
			before := h.count()
			select {
			case inject <- fmt.Errorf("wrapped: %w", fsnotify.ErrEventOverflow):
			case <-time.After(waitLimit):
				t.Fatal("Run did not take the injected error")
			}
			if tt.want {
				h.waitReasonAfter(before, ReasonOverflow)
				h.settle()
				if got := h.rec.all()[before:]; len(got) != 1 {
					t.Errorf("triggers = %v, want one overflow", reasonsOf(got))
				}
			} else {
				h.assertNoTriggerSince(before)
			}
			if !strings.Contains(h.logs.String(), "overflow") {
				t.Errorf("overflow not logged:\n%s", h.logs.String())
			}
		})
	}
}

// TestOverflowReal makes the kernel queue really overflow: the test hook holds
// event reading (a slow consumer) while more files are written than
// fs.inotify.max_queued_events allows, then a folder with a file is created
// whose events the kernel must drop. Released, the watcher must trigger with
// "overflow", and the rescan must have added the watch on the new folder.
func TestOverflowReal(t *testing.T) {
	limit := queuedEventsLimit(t)
	hold := make(chan struct{})
	h := startHarness(t, harnessConfig{hold: hold})
	before := h.count()
	// fsnotify reads up to 4096 events ahead of its consumer, then the kernel
	// queue fills: one creation per file beyond both overflows it.
	writeBurst(t, filepath.Join(h.root, "raw"), "flood", limit+4096+1000)
	late := filepath.Join(h.root, "late", "deeper")
	mustMkdir(t, late)
	mustWrite(t, filepath.Join(late, "lost.yaml"), vpcYAML)
	close(hold)

	h.waitReasonAfter(before, ReasonOverflow)
	h.settle()
	before = h.count()
	mustWrite(t, filepath.Join(late, "seen.yaml"), vpcYAML)
	h.waitReasonAfter(before, ReasonChange)
}

// BenchmarkBurst5000 writes 5,000 files into raw/ and reports the time from
// the last file written to the trigger that follows it, and how many triggers
// the burst caused.
func BenchmarkBurst5000(b *testing.B) {
	var latency time.Duration
	var triggers int
	for range b.N {
		b.StopTimer()
		h := startHarness(b, harnessConfig{opts: Options{Debounce: DefaultDebounce}})
		before := h.count()
		b.StartTimer()

		writeBurst(b, filepath.Join(h.root, "raw"), "bench", 5000)
		last := time.Now()
		// Triggers before last came from the max delay during the burst.
		tr := h.waitReasonAfter(h.countBefore(last), ReasonChange)
		latency += tr.at.Sub(last)

		b.StopTimer()
		h.settle()
		triggers += h.count() - before
		h.stop()
	}
	b.ReportMetric(latency.Seconds()*1000/float64(b.N), "ms-last-write-to-trigger")
	b.ReportMetric(float64(triggers)/float64(b.N), "triggers/burst")
}

// countBefore returns how many triggers arrived before t.
func (h *harness) countBefore(t time.Time) int {
	n := 0
	for _, tr := range h.rec.all() {
		if tr.at.Before(t) {
			n++
		}
	}
	return n
}

// TestNeverEndingStreamTriggers writes a file every few milliseconds, never
// leaving the debounce's quiet period, until a trigger comes: the max delay
// must produce one while the stream goes on.
func TestNeverEndingStreamTriggers(t *testing.T) {
	h := startHarness(t, harnessConfig{})
	before := h.count()
	raw := filepath.Join(h.root, "raw")
	tick := time.NewTicker(testDebounce / 10)
	defer tick.Stop()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for i := 0; h.count() == before; i++ {
		select {
		case <-tick.C:
			mustWrite(t, filepath.Join(raw, fmt.Sprintf("stream-%05d.yaml", i)), vpcYAML)
		case <-deadline.C:
			t.Fatalf("no trigger within %s of a continuous stream", waitLimit)
		}
	}
	if got := h.rec.all()[before]; got.reason != ReasonChange {
		t.Errorf("trigger reason %q, want %q", got.reason, ReasonChange)
	}
}

// TestBurstBeyondTrackedCandidates: a batch remembers at most maxCandidates
// files; when those are gone by the flush, the flush must scan for the rest.
// Event reading is held (test hook) so the whole burst lands in one batch.
func TestBurstBeyondTrackedCandidates(t *testing.T) {
	hold := make(chan struct{})
	h := startHarness(t, harnessConfig{hold: hold})
	before := h.count()
	raw := filepath.Join(h.root, "raw")
	n := maxCandidates + 100
	writeBurst(t, raw, "many", n)
	for i := range maxCandidates {
		if err := os.Remove(filepath.Join(raw, fmt.Sprintf("many-%05d.yaml", i))); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	h.waitReasonAfter(before, ReasonChange)
}
