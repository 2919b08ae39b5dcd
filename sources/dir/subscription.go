package dir

import (
	"sync"

	"github.com/fsnotify/fsnotify"
)

// subscription is one Watcher's place on a Hub: the queue of its events, the
// overflows it was told of, and the directories it watches on the shared
// instance. The hub's routing goroutine fills it; the Watcher's Run empties
// it.
type subscription struct {
	hub      *Hub
	inst     *instance
	root     string // the FGD root, absolute and clean: events are named below it
	resolved string // root with its symlinks resolved, for the overlap check

	mu      sync.Mutex
	events  []fsnotify.Event
	kernel  bool                // the kernel queue overflowed since the last take
	backlog bool                // events overflowed this queue since the last take
	dirs    map[string]struct{} // directories watched for this FGD
	wake    chan struct{}       // poked when there is something to take
}

// put queues an event. A queue that reached limit is dropped, and further
// events with it until the Watcher takes the overflow: the rescan that
// follows sees the tree as it is by then.
func (s *subscription) put(ev fsnotify.Event, limit int) {
	s.mu.Lock()
	switch {
	case s.backlog:
	case len(s.events) >= limit:
		s.events, s.backlog = nil, true
	default:
		s.events = append(s.events, ev)
	}
	s.mu.Unlock()
	s.poke()
}

// kernelOverflow records that the kernel dropped events of the instance.
func (s *subscription) kernelOverflow() {
	s.mu.Lock()
	s.kernel = true
	s.mu.Unlock()
	s.poke()
}

func (s *subscription) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the queued events, oldest first, and the overflows since the
// last take.
func (s *subscription) take() (events []fsnotify.Event, kernel, backlog bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events, kernel, backlog = s.events, s.kernel, s.backlog
	s.events, s.kernel, s.backlog = nil, false, false
	return events, kernel, backlog
}

// add watches dir on the shared instance. The directory is recorded before
// the watch exists, so that a rename racing with the add is forgotten either
// way: before the add, the add watches whatever now bears the name.
func (s *subscription) add(dir string) error {
	s.mu.Lock()
	s.dirs[dir] = struct{}{}
	s.mu.Unlock()
	err := s.addWatch(dir)
	if err != nil {
		s.mu.Lock()
		delete(s.dirs, dir)
		s.mu.Unlock()
	}
	return err
}

func (s *subscription) addWatch(dir string) error {
	if f := s.hub.hooks.addErr; f != nil {
		if err := f(dir); err != nil {
			return err
		}
	}
	return s.inst.fsw.Add(dir)
}

// forget drops the watches of a directory that was renamed away and of every
// directory below it; the new name arrives as a creation and is watched
// afresh. A name that is not a watched directory costs one lookup.
func (s *subscription) forget(dir string) {
	s.mu.Lock()
	if _, ok := s.dirs[dir]; !ok {
		s.mu.Unlock()
		return
	}
	s.removeLocked(func(p string) bool { return under(p, dir) })
}

// prune drops the watches of the directories that the full walk which
// produced seen did not find: renamed or removed while their events were
// lost. It keeps the record of watches as small as the tree.
func (s *subscription) prune(seen map[string]struct{}) {
	s.mu.Lock()
	s.removeLocked(func(p string) bool {
		_, ok := seen[p]
		return !ok
	})
}

// removeAll drops every watch of the FGD, as when its root is lost or the
// Watcher stops.
func (s *subscription) removeAll() {
	s.mu.Lock()
	s.removeLocked(func(string) bool { return true })
}

// removeLocked drops the recorded directories for which drop says so, then
// their watches. It is called with s.mu held and releases it before the
// system calls, so the routing goroutine never waits on them to queue an
// event.
func (s *subscription) removeLocked(drop func(string) bool) {
	var gone []string
	for p := range s.dirs {
		if drop(p) {
			gone = append(gone, p)
			delete(s.dirs, p)
		}
	}
	s.mu.Unlock()
	for _, p := range gone {
		// The kernel may have dropped the watch already (the directory
		// was removed): fsnotify then reports an error that says nothing.
		_ = s.inst.fsw.Remove(p)
	}
}

// count returns how many directories are watched for the FGD.
func (s *subscription) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dirs)
}

// close removes the FGD's watches from the instance and leaves the hub.
func (s *subscription) close() {
	s.removeAll()
	s.hub.leave(s)
}
