// Package dir is the source of a local FGD: it watches the directory with
// fsnotify (recursively, debounced, with a periodic full rescan as a safety
// net) and asks the reconciler for a sync whenever the FGD holds work for
// ingestion, never because of fgd's own writes under managed/, unmanaged/,
// .hnp/ or dot-folders such as .git/.
package dir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults for the zero Options.
const (
	DefaultDebounce = 250 * time.Millisecond
	DefaultRescan   = 5 * time.Minute
)

// Reasons passed to the trigger function.
const (
	// ReasonStartup is given once when Run starts, whether or not work is
	// pending, so every fabric gets its first sync (readiness waits for it).
	ReasonStartup = "startup"
	// ReasonChange is given when file events showed new work.
	ReasonChange = "fsnotify"
	// ReasonOverflow is given when the kernel dropped events and the full
	// rescan that followed found work.
	ReasonOverflow = "overflow"
	// ReasonRescan is given when the periodic rescan found work.
	ReasonRescan = "rescan"
	// ReasonRootUnavailable is given when the FGD root disappeared or could
	// not be read, so the reconciler's sync records the failure.
	ReasonRootUnavailable = "root-unavailable"
	// ReasonRootRestored is given when the FGD root is watched again after
	// being unavailable.
	ReasonRootRestored = "root-restored"
)

// Options tune a Watcher; the zero value gives the defaults.
type Options struct {
	// Debounce is the quiet period that ends a burst of events: the burst
	// becomes one trigger. A burst that never goes quiet still triggers every
	// 10 × Debounce. A file that a process still holds open for writing
	// triggers only once it was closed (see writers.go). Default 250ms.
	Debounce time.Duration
	// Rescan is the period, ±10% jitter, of the full rescan that catches
	// whatever the events missed, and of the retries while the root is
	// unavailable. Default 5m.
	Rescan time.Duration
	// Logger receives the watcher's logs; nil discards them.
	Logger *slog.Logger
	// Hub, when set, is the inotify instance the Watcher shares with the
	// other Watchers of the daemon (see NewHub); nil gives the Watcher an
	// instance of its own for each Run.
	Hub *Hub
}

// Watcher watches one FGD and calls its trigger function when the FGD holds
// work for ingestion. Create it with New and run it with Run.
type Watcher struct {
	root     string
	trigger  func(reason string)
	debounce time.Duration
	rescan   time.Duration
	log      *slog.Logger
	hub      *Hub

	hooks testHooks
}

// testHooks let the package's own tests reach into the event path where the
// real thing cannot be forced on demand. All are nil in production.
type testHooks struct {
	// holdEvents, when set, keeps events from being read until it is
	// closed: a slow consumer. On an instance of the Watcher's own, the
	// instance is not read, so the kernel queue really overflows; on a
	// shared Hub, Run does not take its queued events, so its queue
	// overflows and the other Watchers are not held.
	holdEvents <-chan struct{}
	// injectErrs delivers errors to the Watcher's own instance as if
	// fsnotify had reported them (ignored on a shared Hub, which has its own
	// hook).
	injectErrs <-chan error
	// handled is called after each fsnotify event has been handled.
	handled func(fsnotify.Event)
	// watcherErr, when set, stands for an inotify instance of the Watcher's
	// own that cannot be created (fs.inotify.max_user_instances exhausted).
	watcherErr error
}

// New returns a Watcher for the FGD at root that calls trigger with one of the
// Reason constants whenever a sync is needed. trigger is called from Run's
// goroutine and must not block (the reconciler coalesces triggers). New does
// not touch the file system: a root that is missing is reported by Run.
func New(root string, trigger func(reason string), opts Options) (*Watcher, error) {
	if root == "" {
		return nil, errors.New("dir source: the FGD path is empty (source.dir.path in the config)")
	}
	if trigger == nil {
		return nil, errors.New("dir source: trigger function is nil")
	}
	if opts.Debounce < 0 || opts.Rescan < 0 {
		return nil, fmt.Errorf("dir source %s: debounce %s and rescan %s must not be negative", root, opts.Debounce, opts.Rescan)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("dir source %s: resolve path: %w", root, err)
	}
	w := &Watcher{
		root:     abs,
		trigger:  trigger,
		debounce: opts.Debounce,
		rescan:   opts.Rescan,
		log:      opts.Logger,
		hub:      opts.Hub,
	}
	if w.debounce == 0 {
		w.debounce = DefaultDebounce
	}
	if w.rescan == 0 {
		w.rescan = DefaultRescan
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("fgd", w.root)
	return w, nil
}

// Pending scans the whole FGD and reports whether it holds work: a non-dot
// regular file or symlink directly in raw/, or a *.yaml/*.yml file anywhere
// outside managed/, unmanaged/, .hnp/ and dot-folders. It returns an error when
// the root cannot be read, or when no work was found and a subdirectory could
// not be read (work may hide there).
func (w *Watcher) Pending() (bool, error) {
	res := walk(w.root, ".", nil, true)
	if res.rootErr != nil {
		return false, w.rootError(res.rootErr)
	}
	if res.work {
		return true, nil
	}
	if res.subErr != nil {
		return false, fmt.Errorf("scan FGD %s: %w (fix the permissions so fgd can read it)", w.root, res.subErr)
	}
	return false, nil
}

// Run watches the FGD until ctx is done, then returns nil after every
// goroutine it started has ended. It always triggers once at start
// (ReasonStartup), work or not, so the fabric's first sync happens; then on
// work shown by events, overflows and rescans. A root that is missing or
// unreadable, at start or later, is logged, triggered (ReasonRootUnavailable)
// and retried on every rescan, without ending Run. A Watcher runs one Run
// at a time. When Run returns, the FGD's watches are gone from the inotify
// instance, shared or not.
//
// When no inotify instance can be had (fs.inotify.max_user_instances is per
// user, 128 by default, and other programs of the user take from it too),
// Run degrades to polling: the periodic rescan alone, with a warning naming
// the fix, instead of leaving the fabric unwatched.
func (w *Watcher) Run(ctx context.Context) error {
	sub, shared, err := w.subscribe()
	if err != nil {
		w.log.Warn("cannot watch the FGD with inotify; falling back to a full rescan every rescan_interval"+
			" (the user has no inotify instance left, and fgd needs one for all its dir fabrics:"+
			" raise fs.inotify.max_user_instances to get change events)",
			"fgd", w.root, "rescan_interval", w.rescan.String(), "err", err)
		return w.poll(ctx)
	}
	// The last Watcher to leave an instance closes it and waits for its
	// goroutines.
	defer sub.close()

	s := newSession(w, sub)
	defer s.flushTimer.Stop()
	defer s.held.timer.Stop()
	s.start()

	rescan := time.NewTimer(w.nextRescan())
	defer rescan.Stop()

	wake := sub.wake
	var hold <-chan struct{}
	if shared && w.hooks.holdEvents != nil {
		hold, wake = w.hooks.holdEvents, nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hold:
			hold, wake = nil, sub.wake
		case <-wake:
			s.drain()
		case <-s.flushTimer.C:
			s.flush()
		case <-s.held.timer.C:
			s.recheckHeld()
		case <-rescan.C:
			s.rescanTick()
			rescan.Reset(w.nextRescan())
		}
	}
}

// subscribe joins the Watcher to its Hub, or to a Hub of its own when it has
// none or when its root overlaps another FGD on the hub (the config does not
// refuse nested FGDs; each then has an instance of its own, as without a
// hub). shared tells which.
func (w *Watcher) subscribe() (sub *subscription, shared bool, err error) {
	if w.hub != nil {
		sub, err = w.hub.register(w.root)
		var overlap *overlapError
		if !errors.As(err, &overlap) {
			return sub, true, err
		}
		w.log.Warn("the FGD overlaps another fabric's FGD; watching it with an inotify instance of its own",
			"fgd", w.root, "other", overlap.other)
	}
	own := NewHub(w.log)
	own.hooks.holdEvents = w.hooks.holdEvents
	own.hooks.injectErrs = w.hooks.injectErrs
	own.hooks.instanceErr = w.hooks.watcherErr
	sub, err = own.register(w.root)
	return sub, false, err
}

// poll is Run without inotify: a startup trigger, then a full rescan every
// rescan interval that triggers when work is pending.
func (w *Watcher) poll(ctx context.Context) error {
	w.trigger(ReasonStartup)
	t := time.NewTimer(w.nextRescan())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if pending, err := w.Pending(); err != nil {
				w.log.Error("FGD rescan failed", "fgd", w.root, "err", err)
				w.trigger(ReasonRootUnavailable)
			} else if pending {
				w.trigger(ReasonRescan)
			}
			t.Reset(w.nextRescan())
		}
	}
}

// nextRescan returns the rescan period with ±10% jitter, so the watchers of
// many fabrics do not scan in step.
func (w *Watcher) nextRescan() time.Duration {
	return time.Duration(float64(w.rescan) * (0.9 + 0.2*rand.Float64()))
}

// rootError wraps a failure to read or watch the root with what the operator
// needs to fix it.
func (w *Watcher) rootError(err error) error {
	return fmt.Errorf("FGD root %s cannot be watched: %w (check that the directory exists and fgd can read it; source.dir.path in the config)", w.root, err)
}
