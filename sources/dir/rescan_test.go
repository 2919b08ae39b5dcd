package dir

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const shortRescan = 200 * time.Millisecond

// waitLog waits until the logs hold at least n lines containing substr.
func (h *harness) waitLog(substr string, n int) {
	h.tb.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for strings.Count(h.logs.String(), substr) < n {
		select {
		case <-tick.C:
		case <-deadline.C:
			h.tb.Fatalf("fewer than %d log lines with %q within %s:\n%s", n, substr, waitLimit, h.logs.String())
		}
	}
}

// TestRescanFindsMissedWork: the periodic rescan triggers for work that no
// event announced, and stays quiet when there is none.
func TestRescanFindsMissedWork(t *testing.T) {
	tests := []struct {
		name string
		hold bool              // hold event reading forever: every event is missed
		pre  func(root string) // before Run
		post func(root string) // after the startup trigger
		want bool
	}{
		{name: "file placed before Run", want: true, pre: func(root string) {
			mustWrite(t, filepath.Join(root, "raw", "early.yaml"), vpcYAML)
		}},
		{name: "temp file left in raw", want: true, pre: func(root string) {
			mustWrite(t, filepath.Join(root, "raw", "vpc.yaml~"), vpcYAML)
		}},
		{name: "file dropped while events are missed", hold: true, want: true, post: func(root string) {
			mustWrite(t, filepath.Join(root, "raw", "late.yaml"), vpcYAML)
		}},
		{name: "nothing pending", pre: func(root string) {
			mustWrite(t, filepath.Join(root, "managed", "vpcs", "vpc-1.yaml"), vpcYAML)
			mustWrite(t, filepath.Join(root, "raw", ".gitkeep"), "")
			mustWrite(t, filepath.Join(root, "README.md"), "x")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := harnessConfig{opts: Options{Rescan: shortRescan}, setup: tt.pre}
			if tt.hold {
				cfg.hold = make(chan struct{}) // never closed
			}
			h := startHarness(t, cfg)
			if tt.post != nil {
				tt.post(h.root)
			}
			if tt.want {
				h.waitReason(ReasonRescan)
				return
			}
			h.waitLog("rescan done", 3)
			for _, tr := range h.rec.all() {
				if tr.reason == ReasonRescan {
					t.Errorf("rescan triggered with nothing pending")
				}
			}
		})
	}
}

// TestRootRemoved removes the whole FGD while it is watched: the error is
// logged with the path and triggered, Run keeps going, picks the root up again
// when it is back, returns nil on cancel and leaves no goroutine behind.
func TestRootRemoved(t *testing.T) {
	baseline := runtime.NumGoroutine()
	h := startHarness(t, harnessConfig{opts: Options{Rescan: shortRescan}})

	before := h.count()
	if err := os.RemoveAll(h.root); err != nil {
		t.Fatal(err)
	}
	h.waitReasonAfter(before, ReasonRootUnavailable)
	logs := h.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, h.root) {
		t.Errorf("no error naming %s logged:\n%s", h.root, logs)
	}
	// Several retries pass while it is missing, without another trigger.
	h.waitLog("FGD root still cannot be watched", 3)
	select {
	case err := <-h.done:
		t.Fatalf("Run returned %v while the root was missing", err)
	default:
	}
	if got := h.rec.all()[before:]; len(got) != 1 {
		t.Errorf("triggers while the root is missing = %v, want one %s", reasonsOf(got), ReasonRootUnavailable)
	}

	before = h.count()
	mustMkdir(t, filepath.Join(h.root, "raw"))
	h.waitReasonAfter(before, ReasonRootRestored)
	before = h.count()
	mustWrite(t, filepath.Join(h.root, "raw", "back.yaml"), vpcYAML)
	h.waitReasonAfter(before, ReasonChange)

	h.stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for runtime.NumGoroutine() > baseline {
		select {
		case <-tick.C:
		case <-deadline.C:
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Run returned, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
	}
}

// TestRootMissingAtStart: a root that does not exist yet is not fatal; Run
// triggers the startup sync (which records the failure) and watches the root
// once it appears.
func TestRootMissingAtStart(t *testing.T) {
	h := startHarness(t, harnessConfig{bare: true, opts: Options{Rescan: shortRescan}})
	if !strings.Contains(h.logs.String(), "level=ERROR") {
		t.Errorf("missing root not logged as an error:\n%s", h.logs.String())
	}
	before := h.count()
	mustMkdir(t, filepath.Join(h.root, "raw"))
	h.waitReasonAfter(before, ReasonRootRestored)
	before = h.count()
	mustWrite(t, filepath.Join(h.root, "raw", "first.yaml"), vpcYAML)
	h.waitReasonAfter(before, ReasonChange)
}

// TestRootUnreadable takes the read permission away from the root: logged and
// triggered, and picked up again by a rescan once readable. Root ignores
// permissions, so this runs only as an ordinary user.
func TestRootUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not keep root from reading")
	}
	h := startHarness(t, harnessConfig{opts: Options{Rescan: shortRescan}})
	before := h.count()
	if err := os.Chmod(h.root, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(h.root, 0o755) })
	h.waitReasonAfter(before, ReasonRootUnavailable)
	before = h.count()
	if err := os.Chmod(h.root, 0o755); err != nil {
		t.Fatal(err)
	}
	h.waitReasonAfter(before, ReasonRootRestored)
}

// TestRootRemovedNoticedByItsEvent: with no rescan due, the removal event of
// the root itself is what reports the loss.
func TestRootRemovedNoticedByItsEvent(t *testing.T) {
	h := startHarness(t, harnessConfig{})
	before := h.count()
	if err := os.RemoveAll(h.root); err != nil {
		t.Fatal(err)
	}
	h.waitReasonAfter(before, ReasonRootUnavailable)
}

// TestNoInotifyFallsBackToPolling: when no inotify instance can be had (the
// kernel's per-user limit, 128 by default), the watcher warns, triggers at
// start, and finds work by its periodic rescan instead of giving up.
func TestNoInotifyFallsBackToPolling(t *testing.T) {
	h := startHarness(t, harnessConfig{opts: Options{Rescan: shortRescan},
		noInotify: errors.New("too many open files")})
	if !strings.Contains(h.logs.String(), "max_user_instances") {
		t.Errorf("no warning naming the fix:\n%s", h.logs.String())
	}
	before := h.count()
	mustWrite(t, filepath.Join(h.root, "raw", "late.yaml"), vpcYAML)
	if tr := h.waitReasonAfter(before, ReasonRescan); tr.reason != ReasonRescan {
		t.Errorf("trigger %q, want %q", tr.reason, ReasonRescan)
	}
}
