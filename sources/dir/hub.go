package dir

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// maxBacklog bounds the events queued for one Watcher that has not taken
// them yet. Past it the Watcher's queue is dropped and it rescans, as after a
// kernel queue overflow: a slow fabric costs memory up to this bound, never
// the other fabrics' events. It exceeds fs.inotify.max_queued_events' default
// (16384) plus fsnotify's read-ahead, so a lone Watcher loses events to its
// queue only where the kernel would have dropped them anyway.
const maxBacklog = 1 << 15

// Hub shares one inotify instance among the Watchers of a daemon. Linux
// limits instances per user (fs.inotify.max_user_instances, 128 by default)
// while watches are plentiful, so a daemon with a thousand dir fabrics must
// not take an instance for each. Create one with NewHub and pass it to every
// Watcher in Options.Hub; it is safe for concurrent use.
//
// The hub has no Run of its own: the instance exists while at least one
// Watcher runs on it. The first Run creates it, the last one to return closes
// it and waits for its goroutines, so the hub outlives config reloads and
// ends with the fabrics that use it.
type Hub struct {
	log   *slog.Logger
	limit int // maxBacklog; lowered by tests
	hooks hubHooks

	mu   sync.Mutex
	inst *instance                // nil while no Watcher runs
	subs map[string]*subscription // by FGD root; roots never overlap (register)
}

// hubHooks let the package's own tests reach into the hub where the real
// thing cannot be forced on demand. All are nil in production.
type hubHooks struct {
	// holdEvents, when set, keeps the hub from reading the instance's events
	// until it is closed: a slow reader, so the kernel queue really
	// overflows.
	holdEvents <-chan struct{}
	// injectErrs delivers errors as if fsnotify had reported them.
	injectErrs <-chan error
	// addErr, when set, is asked before each watch is added; an error it
	// returns stands for the kernel refusing the watch.
	addErr func(dir string) error
	// instanceErr, when set, stands for an inotify instance that cannot be
	// created (fs.inotify.max_user_instances exhausted).
	instanceErr error
}

// instance is one inotify instance and the goroutine that routes its events.
type instance struct {
	fsw     *fsnotify.Watcher
	closing chan struct{} // closed when the last subscription leaves
	done    chan struct{} // closed when the routing goroutine has ended
}

// NewHub returns a Hub that logs what concerns every FGD on it (queue
// overflows, inotify errors) to logger; nil discards them. It takes no
// inotify instance until a Watcher runs on it.
func NewHub(logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{log: logger, limit: maxBacklog, subs: make(map[string]*subscription)}
}

// overlapError says that a root cannot join the hub because it overlaps the
// root of a Watcher already on it.
type overlapError struct{ root, other string }

func (e *overlapError) Error() string {
	return fmt.Sprintf("FGD %s overlaps the FGD %s watched on the same inotify instance", e.root, e.other)
}

// register subscribes the FGD at root (absolute and clean) to the hub's
// instance, creating the instance for the first subscriber. Roots that
// overlap, by their path or by where their symlinks lead, are refused with an
// *overlapError: one instance names an event by a single path and has a
// single watch per directory, so two Watchers of the same directories would
// take each other's events and remove each other's watches.
func (h *Hub) register(root string) (*subscription, error) {
	resolved := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		resolved = r // a missing root is checked by its path alone
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		for _, a := range []string{root, resolved} {
			for _, b := range []string{s.root, s.resolved} {
				if under(a, b) || under(b, a) {
					return nil, &overlapError{root: root, other: s.root}
				}
			}
		}
	}
	if h.inst == nil {
		if h.hooks.instanceErr != nil {
			return nil, h.hooks.instanceErr
		}
		fsw, err := fsnotify.NewWatcher()
		if err != nil {
			return nil, err
		}
		h.inst = &instance{fsw: fsw, closing: make(chan struct{}), done: make(chan struct{})}
		go h.route(h.inst)
	}
	s := &subscription{
		hub: h, inst: h.inst, root: root, resolved: resolved,
		dirs: make(map[string]struct{}),
		wake: make(chan struct{}, 1),
	}
	h.subs[root] = s
	return s, nil
}

// leave removes s from the hub; the last subscription closes the instance
// and waits until its goroutines have ended.
func (h *Hub) leave(s *subscription) {
	h.mu.Lock()
	if h.subs[s.root] == s {
		delete(h.subs, s.root)
	}
	var last *instance
	if len(h.subs) == 0 && h.inst == s.inst {
		last, h.inst = h.inst, nil
	}
	h.mu.Unlock()
	if last != nil {
		close(last.closing)
		_ = last.fsw.Close() // waits for fsnotify's reading goroutine
		<-last.done
	}
}

// route reads the instance's events and errors until it is closed and hands
// each event to the Watcher whose root holds it. It never blocks on a
// Watcher: a full queue turns into a rescan of that Watcher's FGD.
func (h *Hub) route(inst *instance) {
	defer close(inst.done)
	events, errs := inst.fsw.Events, inst.fsw.Errors
	hold := h.hooks.holdEvents
	if hold != nil {
		events, errs = nil, nil
	}
	for {
		select {
		case <-inst.closing:
			return
		case <-hold:
			hold, events, errs = nil, inst.fsw.Events, inst.fsw.Errors
		case ev, ok := <-events:
			if !ok {
				h.lost(inst)
				return
			}
			h.deliver(inst, ev)
		case err, ok := <-errs:
			if !ok {
				h.lost(inst)
				return
			}
			h.handleError(inst, err)
		case err := <-h.hooks.injectErrs:
			h.handleError(inst, err)
		}
	}
}

// deliver queues ev for the Watcher whose root holds it. A directory renamed
// away has its watches removed here, before any later event is routed: the
// kernel keeps those watches on the moved directories but fsnotify would
// name their events by the old paths, and once the new name is watched (it
// may lie in another fabric's FGD) a late removal would take that watch away.
func (h *Hub) deliver(inst *instance, ev fsnotify.Event) {
	h.mu.Lock()
	s := h.owner(ev.Name)
	if h.inst != inst {
		s = nil // a late event of an instance being closed
	}
	h.mu.Unlock()
	if s == nil {
		return
	}
	if ev.Has(fsnotify.Rename) {
		s.forget(ev.Name)
	}
	s.put(ev, h.limit)
}

// owner returns the subscription whose root is path or holds it, comparing
// whole path components (/x/ab is not below /x/a). Callers hold h.mu.
func (h *Hub) owner(path string) *subscription {
	for {
		if s, ok := h.subs[path]; ok {
			return s
		}
		parent := filepath.Dir(path)
		if parent == path {
			return nil
		}
		path = parent
	}
}

// handleError passes a kernel queue overflow to every Watcher (the lost
// events may have concerned any of them) and logs other errors once.
func (h *Hub) handleError(inst *instance, err error) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		h.log.Warn("file watch error; the periodic rescan covers missed changes", "err", err)
		return
	}
	h.mu.Lock()
	var subs []*subscription
	if h.inst == inst {
		for _, s := range h.subs {
			subs = append(subs, s)
		}
	}
	h.mu.Unlock()
	h.log.Warn("inotify event queue overflowed; rescanning every FGD watched on the instance",
		"fgds", len(subs), "hint", "raise fs.inotify.max_queued_events if this repeats")
	for _, s := range subs {
		s.kernelOverflow()
	}
}

// lost reports an instance whose channels fsnotify closed although the hub
// did not close it. It does not happen with the fsnotify of go.mod; should it,
// the Watchers go on with their periodic rescans.
func (h *Hub) lost(inst *instance) {
	select {
	case <-inst.closing:
		return
	default:
	}
	h.log.Error("the inotify instance stopped delivering events; FGD changes are seen only by the periodic rescans")
}

// watchList returns every path watched on the hub's instance, of all its
// FGDs, for tests.
func (h *Hub) watchList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inst == nil {
		return nil
	}
	return h.inst.fsw.WatchList()
}

// under reports whether path is dir or lies below it, comparing whole path
// components. Both must be clean.
func under(path, dir string) bool {
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(os.PathSeparator)) {
		dir += string(os.PathSeparator)
	}
	return strings.HasPrefix(path, dir)
}
