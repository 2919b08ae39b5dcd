package dir

import (
	"os"
	"time"

	"github.com/fgdproject/fgd/internal/openwriters"
)

// maxHeldWait caps the period at which files held open for writing are
// looked at again.
const maxHeldWait = 2 * time.Second

// A file written in place is work only once its writer has closed it:
// ingestion would otherwise read the part written so far and remove the
// file, and the rest would go to an inode no longer in raw/. fsnotify
// (v1.10) keeps inotify's close-write event to itself, so a flush asks /proc
// which of its files a process still holds open for writing (see package
// openwriters), triggers for the others, and looks at the held ones again
// every debounce, doubling up to maxHeldWait, until their writers have
// closed them. A file renamed into raw/ was closed before: it is taken at
// once.

// heldState is the files a session waits on.
type heldState struct {
	paths map[string]struct{}
	timer *time.Timer
	wait  time.Duration
}

func newHeldState() heldState {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return heldState{paths: map[string]struct{}{}, timer: t}
}

// readyOrHold reports whether some of the files at paths, which exist, is
// work now: not held open for writing by a process fgd can see. The held
// ones are waited on. Past maxCandidates held files it gives up waiting and
// reports work: the sync defers what is still held, and the reconciler
// looks again.
func (s *session) readyOrHold(paths []string) bool {
	if len(paths) == 0 {
		return false
	}
	held, _ := openwriters.Of(paths) // an unreadable /proc hides writers: trigger
	ready := false
	for _, p := range paths {
		if _, ok := held[p]; ok {
			s.held.paths[p] = struct{}{}
		} else {
			delete(s.held.paths, p)
			ready = true
		}
	}
	if len(s.held.paths) > maxCandidates {
		s.dropHeld()
		return true
	}
	if len(held) > 0 {
		s.log.Debug("waiting for writers to close files", "files", len(held))
		s.armHeld(false)
	}
	return ready
}

// recheckHeld looks again at the files held open for writing and triggers
// when a writer closed one.
func (s *session) recheckHeld() {
	var paths []string
	for p := range s.held.paths {
		if info, err := os.Lstat(p); err == nil && fileLike(info.Mode().Type()) {
			paths = append(paths, p)
		}
	}
	clear(s.held.paths)
	if s.readyOrHold(paths) && s.rootOK {
		s.fire(ReasonChange)
	}
	if len(s.held.paths) > 0 {
		s.armHeld(true)
	} else {
		s.held.wait = 0
	}
}

// armHeld starts the recheck timer, at the debounce for a new wait, or at
// twice the last period (up to maxHeldWait) when backoff is set.
func (s *session) armHeld(backoff bool) {
	switch {
	case backoff:
		s.held.wait = min(2*s.held.wait, maxHeldWait)
	case s.held.wait != 0:
		return // already waiting
	default:
		s.held.wait = s.w.debounce
	}
	s.held.timer.Reset(s.held.wait)
}

// dropHeld stops waiting on any file.
func (s *session) dropHeld() {
	clear(s.held.paths)
	s.held.timer.Stop()
	s.held.wait = 0
}
