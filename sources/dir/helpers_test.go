package dir

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

// The tests run the real Watcher on real directories with real fsnotify.
// Waits are bounded polls with generous deadlines, never assertions on time.

const (
	testDebounce = 100 * time.Millisecond
	waitLimit    = 20 * time.Second
	noRescan     = time.Hour // long enough that no test sees a periodic rescan it did not ask for
)

// trigger is one call of the trigger function.
type trigger struct {
	reason string
	at     time.Time
}

// recorder is the trigger function under test; it never blocks.
type recorder struct {
	mu   sync.Mutex
	got  []trigger
	wake chan struct{} // poked after every trigger
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 1)} }

func (r *recorder) trigger(reason string) {
	r.mu.Lock()
	r.got = append(r.got, trigger{reason: reason, at: time.Now()})
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// all returns a copy of the triggers so far.
func (r *recorder) all() []trigger {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trigger(nil), r.got...)
}

// harness runs one Watcher on a temporary FGD.
type harness struct {
	tb       testing.TB
	root     string
	w        *Watcher
	rec      *recorder
	logs     *testlog.Buffer
	barriers chan string // names of barrier files, once their event was handled
	seq      int
	cancel   context.CancelFunc
	done     chan error
	stopped  bool
}

// harnessConfig shapes a harness; zero values give a typical FGD and the test
// debounce, with no periodic rescan.
type harnessConfig struct {
	opts      Options
	bare      bool              // do not create the usual FGD folders
	setup     func(root string) // runs before Run
	hold      <-chan struct{}   // hooks.holdEvents
	inject    <-chan error      // hooks.injectErrs
	noStartup bool              // do not wait for the startup trigger
	noInotify error             // hooks.watcherErr
	hub       *Hub              // Options.Hub: share this hub's instance
	root      string            // the FGD root; default a new temporary folder
}

// typicalFGD creates the folders fgd keeps in an FGD (SPEC §1) plus a .git.
func typicalFGD(tb testing.TB, root string) {
	tb.Helper()
	for _, d := range []string{"raw", "managed/vpcs", "managed/switches", "unmanaged", ".hnp/archive", ".git/objects"} {
		mustMkdir(tb, filepath.Join(root, d))
	}
	mustWrite(tb, filepath.Join(root, "raw", ".gitkeep"), "")
	mustWrite(tb, filepath.Join(root, ".hnp", "manifest.yaml"), "fabric: test\n")
}

func startHarness(tb testing.TB, cfg harnessConfig) *harness {
	tb.Helper()
	root := cfg.root
	if root == "" {
		root = filepath.Join(tb.TempDir(), "fgd")
	}
	if !cfg.bare {
		mustMkdir(tb, root)
		typicalFGD(tb, root)
	}
	if cfg.setup != nil {
		cfg.setup(root)
	}
	if cfg.opts.Debounce == 0 {
		cfg.opts.Debounce = testDebounce
	}
	if cfg.opts.Rescan == 0 {
		cfg.opts.Rescan = noRescan
	}
	if cfg.hub != nil {
		cfg.opts.Hub = cfg.hub
	}
	logs := &testlog.Buffer{}
	cfg.opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder()
	w, err := New(root, rec.trigger, cfg.opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	h := &harness{tb: tb, root: root, w: w, rec: rec, logs: logs, barriers: make(chan string, 64), done: make(chan error, 1)}
	w.hooks.holdEvents = cfg.hold
	w.hooks.injectErrs = cfg.inject
	w.hooks.watcherErr = cfg.noInotify
	w.hooks.handled = func(ev fsnotify.Event) {
		if strings.HasPrefix(filepath.Base(ev.Name), ".barrier-") && ev.Has(fsnotify.Create) {
			h.barriers <- ev.Name
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- w.Run(ctx) }()
	tb.Cleanup(h.stop)
	if !cfg.noStartup {
		h.waitReason(ReasonStartup)
	}
	return h
}

// stop cancels Run and checks that it returned nil in time.
func (h *harness) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.tb.Errorf("Run returned %v, want nil after cancel", err)
		}
	case <-time.After(waitLimit):
		h.tb.Errorf("Run did not return within %s of cancel", waitLimit)
	}
}

// count returns how many triggers arrived so far.
func (h *harness) count() int { return len(h.rec.all()) }

// waitReasonAfter waits for a trigger with one of the reasons, not counting
// the first `after` triggers, and returns it.
func (h *harness) waitReasonAfter(after int, reasons ...string) trigger {
	h.tb.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		got := h.rec.all()
		for _, tr := range got[min(after, len(got)):] {
			for _, r := range reasons {
				if tr.reason == r {
					return tr
				}
			}
		}
		select {
		case <-h.rec.wake:
		case <-deadline.C:
			h.tb.Fatalf("no trigger with reason %v within %s; got %v\nlogs:\n%s", reasons, waitLimit, reasonsOf(got), h.logs.String())
			return trigger{}
		}
	}
}

// waitReason waits for any trigger with one of the reasons.
func (h *harness) waitReason(reasons ...string) trigger {
	h.tb.Helper()
	return h.waitReasonAfter(0, reasons...)
}

// barrier creates a dotfile in the root (ignored by the watcher) and waits
// until Run has handled its event: inotify delivers the events of one watcher
// in order, so every event of an earlier action has been handled too.
func (h *harness) barrier() {
	h.tb.Helper()
	h.seq++
	name := filepath.Join(h.root, fmt.Sprintf(".barrier-%d", h.seq))
	mustWrite(h.tb, name, "")
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case got := <-h.barriers:
			if got == name {
				return
			}
		case <-deadline.C:
			h.tb.Fatalf("barrier %s not handled within %s", name, waitLimit)
		}
	}
}

// settle waits until every event so far is handled and any batch they opened
// had ample time to flush (3 × debounce).
func (h *harness) settle() {
	h.tb.Helper()
	h.barrier()
	t := time.NewTimer(3 * h.w.debounce)
	defer t.Stop()
	<-t.C
}

// assertNoTriggerSince fails if any trigger arrived after the first n, once
// the events so far had their chance to trigger.
func (h *harness) assertNoTriggerSince(n int) {
	h.tb.Helper()
	h.settle()
	if got := h.rec.all(); len(got) > n {
		h.tb.Errorf("unexpected triggers %v", reasonsOf(got[n:]))
	}
}

func reasonsOf(ts []trigger) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.reason
	}
	return out
}

func mustMkdir(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
}

func mustWrite(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

const vpcYAML = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\n"
