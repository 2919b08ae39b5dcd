package dir

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// session is the state of one Run: the FGD's place on the inotify instance,
// whether the root is watched, and the open debounce batch. Only Run's
// goroutine touches it.
type session struct {
	w          *Watcher
	sub        *subscription
	log        *slog.Logger
	rootOK     bool
	batch      batch
	flushTimer *time.Timer
	held       heldState // files held open for writing (writers.go)
}

func newSession(w *Watcher, sub *subscription) *session {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &session{w: w, sub: sub, log: w.log, rootOK: true, flushTimer: t, held: newHeldState()}
}

// start watches the whole tree and triggers once, work or not: the first
// sync validates and repairs the FGD and makes the fabric ready.
func (s *session) start() {
	res := s.rewatch()
	if res.rootErr != nil {
		s.rootOK = false
		s.log.Error("FGD root cannot be watched; retrying on every rescan",
			"path", s.w.root, "retry_every", s.w.rescan, "err", s.w.rootError(res.rootErr))
	} else {
		s.warnSub(res)
		s.log.Debug("watching FGD", "work_pending", res.work, "watches", s.sub.count())
	}
	s.fire(ReasonStartup)
}

// rewatch walks the whole tree, watching every directory, and drops the
// watches of directories the walk no longer found (renamed or removed while
// their events were lost). A walk that could not read everything drops
// nothing: what it did not see may still be there.
func (s *session) rewatch() scanResult {
	seen := make(map[string]struct{})
	res := walk(s.w.root, ".", func(dir string) error {
		seen[dir] = struct{}{}
		return s.watch(dir)
	}, false)
	if res.rootErr == nil && res.subErr == nil {
		s.sub.prune(seen)
	}
	return res
}

// watch adds an inotify watch on dir, explaining the usual limit.
func (s *session) watch(dir string) error {
	err := s.sub.add(dir)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("watch %s: %w (inotify watches are exhausted: raise fs.inotify.max_user_watches)", dir, err)
	default:
		return fmt.Errorf("watch %s: %w", dir, err)
	}
}

// handleEvent turns one fsnotify event into batch state. Only creations and
// writes of files that are work count; removals, renames away and attribute
// changes never trigger by themselves (fgd removes ingested originals from
// raw/, and Linux reports a removal as an attribute change first).
func (s *session) handleEvent(ev fsnotify.Event) {
	if !s.rootOK {
		return // events queued before the root was lost; the rescan takes over
	}
	rel, err := filepath.Rel(s.w.root, ev.Name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	if rel == "." {
		s.rootEvent(ev)
		return
	}
	if excluded(rel) {
		return
	}
	switch {
	case ev.Has(fsnotify.Create):
		info, err := os.Lstat(ev.Name)
		if err != nil {
			return // already gone again
		}
		if info.IsDir() {
			s.addTree(rel)
			return
		}
	case ev.Has(fsnotify.Write):
	case ev.Has(fsnotify.Rename), ev.Has(fsnotify.Remove):
		// A directory renamed away lost its watches in the hub already
		// (Hub.deliver); the kernel dropped those of a removed one.
		return
	default:
		return
	}
	if !isWork(rel) || isTempName(filepath.Base(rel)) {
		return
	}
	s.batch.add(ev.Name)
	s.arm()
}

// rootEvent handles an event on the root directory itself.
func (s *session) rootEvent(ev fsnotify.Event) {
	switch {
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		s.lose(errors.New("the directory was removed or renamed"))
	case ev.Has(fsnotify.Chmod):
		// Its permissions changed: is it still readable?
		f, err := os.Open(s.w.root)
		if err != nil {
			s.lose(err)
			return
		}
		f.Close()
	}
}

// addTree watches a new directory and everything below it, then scans it:
// files created before the watches existed (mkdir -p a/b/c && touch
// a/b/c/x.yaml) are found by the scan, later ones by the watches.
func (s *session) addTree(rel string) {
	res := walk(s.w.root, rel, s.watch, false)
	s.warnSub(res)
	if res.work {
		s.batch.dirWork = true
		s.arm()
	}
}

// drain handles what the hub queued for the FGD. An overflow means events
// were dropped, by the kernel (the hub logged it, for every FGD) or because
// this FGD's queue was full: the next flush rescans and re-watches the tree.
func (s *session) drain() {
	events, kernel, backlog := s.sub.take()
	for _, ev := range events {
		s.handleEvent(ev)
		if s.w.hooks.handled != nil {
			s.w.hooks.handled(ev)
		}
	}
	if !kernel && !backlog {
		return
	}
	switch {
	case backlog && !s.batch.overflow:
		s.log.Warn("file event backlog overflowed; rescanning the whole FGD", "path", s.w.root,
			"queued_events", s.sub.hub.limit, "hint", "the FGD changed faster than fgd could follow; nothing is lost")
	case kernel:
		s.log.Debug("rescanning the whole FGD after an inotify queue overflow", "path", s.w.root)
	}
	s.batch.overflow = true
	s.arm()
}

// arm (re)starts the flush timer for the open batch.
func (s *session) arm() {
	s.flushTimer.Reset(s.batch.arm(time.Now(), s.w.debounce, maxDelayFactor*s.w.debounce))
}

// resetBatch drops the open batch.
func (s *session) resetBatch() {
	s.batch = batch{}
	s.flushTimer.Stop()
}

// flush ends the open batch and triggers if it showed work.
func (s *session) flush() {
	b := s.batch
	s.resetBatch()
	if !s.rootOK {
		return
	}
	switch {
	case b.overflow:
		res := s.rewatch()
		if res.rootErr != nil {
			s.lose(res.rootErr)
			return
		}
		s.warnSub(res)
		if res.work {
			s.fire(ReasonOverflow)
		}
	case b.dirWork:
		s.fire(ReasonChange)
	case s.readyOrHold(b.existing()):
		s.fire(ReasonChange)
	case b.tooMany:
		if walk(s.w.root, ".", nil, true).work {
			s.fire(ReasonChange)
		}
	}
}

// rescanTick is the periodic safety net: it re-watches the whole tree (which
// also brings back a lost root) and triggers when work is pending.
func (s *session) rescanTick() {
	res := s.rewatch()
	if res.rootErr != nil {
		s.lose(res.rootErr)
		return
	}
	s.warnSub(res)
	// The walk saw the tree after every event received so far: the open
	// batch has nothing left to say.
	s.resetBatch()
	if !s.rootOK {
		s.rootOK = true
		s.log.Info("FGD root is watched again", "path", s.w.root)
		s.fire(ReasonRootRestored)
		return
	}
	s.log.Debug("rescan done", "work_pending", res.work)
	if res.work {
		s.fire(ReasonRescan)
	}
}

// lose records that the root cannot be watched: logged and triggered once,
// then retried on every rescan.
func (s *session) lose(err error) {
	if !s.rootOK {
		s.log.Debug("FGD root still cannot be watched", "path", s.w.root, "err", err)
		return
	}
	s.rootOK = false
	s.resetBatch()
	s.dropHeld()
	// Watches below a renamed root would report under stale paths.
	s.sub.removeAll()
	s.log.Error("FGD root cannot be watched; retrying on every rescan",
		"path", s.w.root, "retry_every", s.w.rescan, "err", s.w.rootError(err))
	s.fire(ReasonRootUnavailable)
}

// warnSub logs a subdirectory that could not be read or watched.
func (s *session) warnSub(res scanResult) {
	if res.subErr != nil {
		s.log.Warn("part of the FGD cannot be watched; its changes are seen only by the periodic rescan",
			"path", s.w.root, "err", res.subErr, "hint", "fix the directory's permissions")
	}
}

// fire calls the trigger.
func (s *session) fire(reason string) {
	s.log.Debug("trigger", "reason", reason)
	s.w.trigger(reason)
}
