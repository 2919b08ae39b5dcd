package dir

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

// inotifyInstances counts the inotify instances the test process holds: the
// entries of /proc/self/fd that link to anon_inode:inotify.
func inotifyInstances(tb testing.TB) int {
	tb.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("cannot count the process's file descriptors: %v", err)
	}
	n := 0
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && link == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// watchedUnder returns the paths watched on the hub's instance at or below
// dir.
func watchedUnder(h *Hub, dir string) []string {
	var out []string
	for _, p := range h.watchList() {
		if under(p, dir) {
			out = append(out, p)
		}
	}
	return out
}

// quiet waits until every harness has handled the events so far and had
// time to flush, then reports those that triggered after their count in
// before.
func quiet(tb testing.TB, hs []*harness, before []int) []int {
	tb.Helper()
	for _, h := range hs {
		h.barrier()
	}
	t := time.NewTimer(3 * testDebounce)
	defer t.Stop()
	<-t.C
	var loud []int
	for i, h := range hs {
		if h.count() != before[i] {
			loud = append(loud, i)
		}
	}
	return loud
}

func counts(hs []*harness) []int {
	out := make([]int, len(hs))
	for i, h := range hs {
		out[i] = h.count()
	}
	return out
}

// TestHubManyFabricsOneInstance runs many Watchers on one Hub: each sees the
// file dropped into its raw/, and together they hold exactly one inotify
// instance, closed when the last one stops. The case without a hub shows
// that the count sees one instance per Watcher there.
func TestHubManyFabricsOneInstance(t *testing.T) {
	tests := []struct {
		name    string
		fabrics int
		shared  bool
		want    int // inotify instances while they run
	}{
		{name: "one hub", fabrics: 200, shared: true, want: 1},
		{name: "no hub", fabrics: 3, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the count covers the whole test process.
			baseline := inotifyInstances(t)
			var hub *Hub
			if tt.shared {
				hub = NewHub(nil)
			}
			hs := make([]*harness, tt.fabrics)
			for i := range hs {
				hs[i] = startHarness(t, harnessConfig{hub: hub})
			}
			if got := inotifyInstances(t) - baseline; got != tt.want {
				t.Errorf("%d watchers hold %d inotify instances, want %d", tt.fabrics, got, tt.want)
			}
			before := counts(hs)
			for _, h := range hs {
				mustWrite(t, filepath.Join(h.root, "raw", "drop.yaml"), vpcYAML)
			}
			for i, h := range hs {
				h.waitReasonAfter(before[i], ReasonChange)
			}
			for _, h := range hs {
				h.stop()
			}
			if got := inotifyInstances(t) - baseline; got != 0 {
				t.Errorf("%d inotify instances left after every Run returned", got)
			}
		})
	}
}

// TestHubOwner routes event paths to the root that holds them, on whole path
// components.
func TestHubOwner(t *testing.T) {
	h := NewHub(nil)
	for _, r := range []string{"/x/a", "/x/ab", "/x/a b", "/x/a.b", "/y"} {
		h.subs[r] = &subscription{root: r}
	}
	tests := []struct{ path, want string }{
		{"/x/a", "/x/a"},
		{"/x/a/raw/vpc.yaml", "/x/a"},
		{"/x/ab", "/x/ab"},
		{"/x/ab/raw/vpc.yaml", "/x/ab"},
		{"/x/a b/raw", "/x/a b"},
		{"/x/a.b/raw/vpc.yaml", "/x/a.b"},
		{"/x/abc/raw/vpc.yaml", ""},
		{"/x/a-b/raw", ""},
		{"/x", ""},
		{"/", ""},
		{"/y/z", "/y"},
		{"/yy/z", ""},
	}
	for _, tt := range tests {
		got := ""
		if s := h.owner(tt.path); s != nil {
			got = s.root
		}
		if got != tt.want {
			t.Errorf("owner(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestHubRoutesExactly runs Watchers whose roots share name prefixes on one
// Hub: a file dropped into one FGD triggers that FGD's Watcher and no other.
func TestHubRoutesExactly(t *testing.T) {
	base := t.TempDir()
	names := []string{"a", "ab", "a-b", "a.b", "abc"}
	hub := NewHub(nil)
	hs := make([]*harness, len(names))
	for i, n := range names {
		hs[i] = startHarness(t, harnessConfig{hub: hub, root: filepath.Join(base, n)})
	}
	for i, target := range names {
		before := counts(hs)
		mustWrite(t, filepath.Join(base, target, "raw", "vpc.yaml"), vpcYAML)
		hs[i].waitReasonAfter(before[i], ReasonChange)
		for _, j := range quiet(t, hs, before) {
			if j != i {
				t.Errorf("a drop into %s triggered the watcher of %s: %v", target, names[j], reasonsOf(hs[j].rec.all()[before[j]:]))
			}
		}
	}
}

// TestHubRefusesOverlappingRoots: a root equal to, above or below one on the
// hub, by its path or by where its symlinks lead, cannot join it.
func TestHubRefusesOverlappingRoots(t *testing.T) {
	base := t.TempDir()
	for _, d := range []string{"a/site", "ab", "b"} {
		mustMkdir(t, filepath.Join(base, d))
	}
	for link, target := range map[string]string{"link": "a", "sitelink": "a/site", "blink": "b"} {
		if err := os.Symlink(filepath.Join(base, target), filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	hub := NewHub(nil)
	first, err := hub.register(filepath.Join(base, "a"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		root    string
		overlap bool
	}{
		{root: "a", overlap: true},
		{root: "a/site", overlap: true},
		{root: ".", overlap: true},
		{root: "link", overlap: true},
		{root: "sitelink", overlap: true},
		{root: "ab"},
		{root: "b"},
		{root: "blink"}, // leads to b, which is not on the hub
		{root: "missing"},
	}
	for _, tt := range tests {
		root := filepath.Join(base, tt.root)
		s, err := hub.register(root)
		var overlap *overlapError
		switch {
		case tt.overlap && !errors.As(err, &overlap):
			t.Errorf("register(%s) = %v, want an overlap error", tt.root, err)
		case !tt.overlap && err != nil:
			t.Errorf("register(%s) = %v, want no error", tt.root, err)
		}
		if s != nil {
			s.close()
		}
	}
	first.close()
	if l := hub.watchList(); l != nil {
		t.Errorf("watches left after every subscription closed: %v", l)
	}
}

// TestHubOverlappingWatcherHasItsOwnInstance: a Watcher whose FGD lies in
// another one on the hub (the config does not refuse nested FGDs) says so
// and watches with an instance of its own, as before the hub.
func TestHubOverlappingWatcherHasItsOwnInstance(t *testing.T) {
	base := t.TempDir()
	hub := NewHub(nil)
	outer := startHarness(t, harnessConfig{hub: hub, root: filepath.Join(base, "outer")})
	inner := startHarness(t, harnessConfig{hub: hub, root: filepath.Join(outer.root, "site")})
	if !strings.Contains(inner.logs.String(), "overlaps another fabric's FGD") {
		t.Errorf("no warning about the overlap:\n%s", inner.logs.String())
	}
	before := inner.count()
	mustWrite(t, filepath.Join(inner.root, "raw", "vpc.yaml"), vpcYAML)
	inner.waitReasonAfter(before, ReasonChange)
	inner.stop()
	if got := watchedUnder(hub, outer.root); len(got) == 0 {
		t.Error("the outer FGD lost its watches when the inner Watcher stopped")
	}
}

// queuedEventsLimit returns fs.inotify.max_queued_events, skipping the test
// when it is too large to overflow in a test.
func queuedEventsLimit(t *testing.T) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		t.Skipf("no inotify queue limit to overflow: %v", err)
	}
	limit, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if limit > 1<<16 {
		t.Skipf("fs.inotify.max_queued_events is %d: too many files to overflow it in a test", limit)
	}
	return limit
}

// TestHubOverflowReachesEveryWatcher: when the shared kernel queue
// overflows, the lost events may have concerned any FGD, so every Watcher
// rescans (and triggers, as each has work pending); the hub logs it once.
// The overflow is injected through the hub's error path, and also made real:
// the hub's reading is held while one FGD gets more files than the queue
// holds.
func TestHubOverflowReachesEveryWatcher(t *testing.T) {
	for _, kernel := range []bool{false, true} {
		t.Run(fmt.Sprintf("kernel=%v", kernel), func(t *testing.T) {
			logs := &testlog.Buffer{}
			hub := NewHub(slog.New(slog.NewTextHandler(logs, nil)))
			inject := make(chan error)
			hold := make(chan struct{})
			var limit int
			hub.hooks.injectErrs = inject
			if kernel {
				limit = queuedEventsLimit(t)
				hub.hooks.holdEvents = hold
			}
			hs := make([]*harness, 5)
			for i := range hs {
				hs[i] = startHarness(t, harnessConfig{hub: hub, setup: func(root string) {
					mustWrite(t, filepath.Join(root, "raw", "pending.yaml"), vpcYAML)
				}})
			}
			before := counts(hs)
			if kernel {
				// fsnotify reads up to 4096 events ahead of the hub, then
				// the kernel queue fills.
				writeBurst(t, filepath.Join(hs[0].root, "raw"), "flood", limit+4096+1000)
				close(hold)
			} else {
				select {
				case inject <- fmt.Errorf("wrapped: %w", fsnotify.ErrEventOverflow):
				case <-time.After(waitLimit):
					t.Fatal("the hub did not take the injected error")
				}
			}
			for i, h := range hs {
				h.waitReasonAfter(before[i], ReasonOverflow)
			}
			if n := strings.Count(logs.String(), "inotify event queue overflowed"); n != 1 {
				t.Errorf("overflow logged %d times by the hub, want once:\n%s", n, logs.String())
			}
		})
	}
}

// TestHubBacklogOverflowConcernsOneWatcher: a Watcher that does not take its
// events (held by the test hook) has its queue overflow at the hub's limit;
// it then rescans, while the other Watchers go on undisturbed.
func TestHubBacklogOverflowConcernsOneWatcher(t *testing.T) {
	hub := NewHub(nil)
	hub.limit = 50
	hold := make(chan struct{})
	slow := startHarness(t, harnessConfig{hub: hub, hold: hold})
	other := startHarness(t, harnessConfig{hub: hub})
	slowBefore, otherBefore := slow.count(), other.count()

	writeBurst(t, filepath.Join(slow.root, "raw"), "many", 2*hub.limit)
	mustWrite(t, filepath.Join(other.root, "raw", "vpc.yaml"), vpcYAML)
	other.waitReasonAfter(otherBefore, ReasonChange)
	// The hub routes in kernel order: every event of the burst is routed.
	other.barrier()
	close(hold)
	slow.waitReasonAfter(slowBefore, ReasonOverflow)
	if !strings.Contains(slow.logs.String(), "backlog overflowed") {
		t.Errorf("the slow watcher did not log its overflow:\n%s", slow.logs.String())
	}
	other.settle()
	if got := reasonsOf(other.rec.all()[otherBefore:]); slices.Contains(got, ReasonOverflow) {
		t.Errorf("the other watcher rescanned for an overflow not its own: %v", got)
	}
	if strings.Contains(other.logs.String(), "overflow") {
		t.Errorf("the other watcher logged an overflow:\n%s", other.logs.String())
	}

	// The slow watcher's events flow again.
	slow.settle()
	before := slow.count()
	mustWrite(t, filepath.Join(slow.root, "raw", "late.yaml"), vpcYAML)
	slow.waitReasonAfter(before, ReasonChange)
}

// TestHubWatchesRemovedWhenRunReturns: a Watcher that stops (its fabric was
// removed by a reload) leaves no watch on the shared instance; the others go
// on, the same FGD can join again, and the last to stop closes the instance.
func TestHubWatchesRemovedWhenRunReturns(t *testing.T) {
	baseline := inotifyInstances(t)
	hub := NewHub(nil)
	hs := make([]*harness, 3)
	for i := range hs {
		hs[i] = startHarness(t, harnessConfig{hub: hub})
		if len(watchedUnder(hub, hs[i].root)) == 0 {
			t.Fatalf("no watch under %s on the hub", hs[i].root)
		}
	}
	gone := hs[1]
	gone.stop()
	if left := watchedUnder(hub, gone.root); len(left) > 0 {
		t.Errorf("watches left under %s after its Run returned: %v", gone.root, left)
	}
	for _, h := range []*harness{hs[0], hs[2]} {
		before := h.count()
		mustWrite(t, filepath.Join(h.root, "raw", "vpc.yaml"), vpcYAML)
		h.waitReasonAfter(before, ReasonChange)
	}

	again := startHarness(t, harnessConfig{hub: hub, root: gone.root, bare: true})
	before := again.count()
	mustWrite(t, filepath.Join(again.root, "raw", "vpc.yaml"), vpcYAML)
	again.waitReasonAfter(before, ReasonChange)

	for _, h := range []*harness{hs[0], hs[2], again} {
		h.stop()
	}
	if l := hub.watchList(); l != nil {
		t.Errorf("watches left after every Run returned: %v", l)
	}
	if got := inotifyInstances(t) - baseline; got != 0 {
		t.Errorf("%d inotify instances left after every Run returned", got)
	}
}

// TestHubDirectoryMovedBetweenFabrics moves a folder tree from one FGD into
// another on the same hub while the first Watcher is slow (held): the kernel
// has one watch per directory per instance, so the second FGD's watches on
// the moved folders must not be the first's, removed when it catches up.
func TestHubDirectoryMovedBetweenFabrics(t *testing.T) {
	hub := NewHub(nil)
	hold := make(chan struct{})
	from := startHarness(t, harnessConfig{hub: hub, hold: hold, setup: func(root string) {
		mustMkdir(t, filepath.Join(root, "site", "dc1", "leaf"))
	}})
	to := startHarness(t, harnessConfig{hub: hub})
	if err := os.Rename(filepath.Join(from.root, "site"), filepath.Join(to.root, "site")); err != nil {
		t.Fatal(err)
	}
	to.settle() // the moved tree is watched in its new FGD
	close(hold)
	from.settle() // and the old FGD has handled the move
	if left := watchedUnder(hub, filepath.Join(from.root, "site")); len(left) > 0 {
		t.Errorf("watches left under the old name: %v", left)
	}
	for _, sub := range []string{"dc1/leaf", "dc1", "."} {
		before := to.count()
		mustWrite(t, filepath.Join(to.root, "site", sub, "x.yaml"), vpcYAML)
		to.waitReasonAfter(before, ReasonChange)
		to.settle()
	}
}

// TestHubNoInstanceFallsBackToPolling: when even the shared instance cannot
// be created, every Watcher on the hub warns naming the fix and finds work
// by its periodic rescan.
func TestHubNoInstanceFallsBackToPolling(t *testing.T) {
	hub := NewHub(nil)
	hub.hooks.instanceErr = fmt.Errorf("couldn't initialize inotify: %w", syscall.EMFILE)
	hs := make([]*harness, 3)
	for i := range hs {
		hs[i] = startHarness(t, harnessConfig{hub: hub, opts: Options{Rescan: shortRescan}})
		if !strings.Contains(hs[i].logs.String(), "max_user_instances") {
			t.Errorf("no warning naming the fix:\n%s", hs[i].logs.String())
		}
	}
	before := counts(hs)
	for _, h := range hs {
		mustWrite(t, filepath.Join(h.root, "raw", "late.yaml"), vpcYAML)
	}
	for i, h := range hs {
		h.waitReasonAfter(before[i], ReasonRescan)
	}
}

// TestHubWatchesExhausted: a watch the kernel refuses for want of watches
// (ENOSPC) is logged with the limit to raise; below the root, the rescan
// still finds the work there.
func TestHubWatchesExhausted(t *testing.T) {
	tests := []struct {
		name, dir, log string
		rescanFinds    bool
	}{
		{name: "subfolder", dir: "raw", log: "part of the FGD cannot be watched", rescanFinds: true},
		{name: "root", dir: ".", log: "FGD root cannot be watched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(t.TempDir(), "fgd")
			refused := filepath.Join(root, tt.dir)
			hub := NewHub(nil)
			hub.hooks.addErr = func(dir string) error {
				if dir == refused {
					return syscall.ENOSPC
				}
				return nil
			}
			h := startHarness(t, harnessConfig{hub: hub, root: root, opts: Options{Rescan: shortRescan}})
			for _, want := range []string{tt.log, "max_user_watches"} {
				if !strings.Contains(h.logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, h.logs.String())
				}
			}
			if tt.rescanFinds {
				before := h.count()
				mustWrite(t, filepath.Join(refused, "vpc.yaml"), vpcYAML)
				h.waitReasonAfter(before, ReasonRescan)
			}
		})
	}
}
