package dir

import (
	"os"
	"time"
)

// maxDelayFactor bounds how long a batch may grow: a stream of events that
// never goes quiet still triggers every maxDelayFactor × Debounce.
const maxDelayFactor = 10

// maxCandidates bounds the memory a burst can take: past it, the batch stops
// remembering paths and the flush scans the tree instead.
const maxCandidates = 4096

// batch gathers what the events of one debounce window said until it is
// flushed. Candidate paths are checked when the batch is flushed, not when
// their event arrives, so a file that was created and removed again (a
// temporary file, or an original fgd already ingested) triggers nothing.
type batch struct {
	armed bool      // the window is open and the flush timer runs
	start time.Time // when the window opened; the max delay counts from here

	candidates map[string]struct{} // files that may be work, checked at flush
	tooMany    bool                // candidates overflowed: the flush scans the tree
	dirWork    bool                // a new directory's scan already found work
	overflow   bool                // the kernel dropped events: the flush rescans and re-watches the tree
}

// add remembers a file that may be work.
func (b *batch) add(path string) {
	if b.tooMany {
		return
	}
	if b.candidates == nil {
		b.candidates = make(map[string]struct{})
	}
	if len(b.candidates) >= maxCandidates {
		b.tooMany = true
		return
	}
	b.candidates[path] = struct{}{}
}

// arm opens the window if needed and returns how long until it should be
// flushed: after debounce of quiet, but never later than maxDelay after it
// opened.
func (b *batch) arm(now time.Time, debounce, maxDelay time.Duration) time.Duration {
	if !b.armed {
		b.armed = true
		b.start = now
	}
	wait := debounce
	if left := b.start.Add(maxDelay).Sub(now); left < wait {
		wait = left
	}
	return max(wait, 0)
}

// existing returns the remembered files that still exist as files fgd
// ingests.
func (b *batch) existing() []string {
	var out []string
	for p := range b.candidates {
		if info, err := os.Lstat(p); err == nil && fileLike(info.Mode().Type()) {
			out = append(out, p)
		}
	}
	return out
}
