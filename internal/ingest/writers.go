package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/openwriters"
)

// A file is taken only once no process holds it open for writing: a writer
// that pauses mid-file would otherwise write the rest of it to an inode fgd
// has already removed from raw/. Three checks guard an original, each on
// the one mechanism of Report.Deferred:
//
//   - before a run takes files, those held open for writing are deferred
//     (DeferOpenForWriting); the dir source waits for their writers to close
//     them and triggers the sync that takes them;
//   - files written less than Options.Settle ago are waited for once (see
//     Run), then deferred (DeferSettling): the safety net for writers the
//     /proc scan cannot see (see package openwriters);
//   - just before an original is removed, it is kept when a process has
//     opened it for writing since, or when it changed after it was read
//     (DeferChanged, see planner.keep): its outputs are from the
//     version read, which is what was archived, and the next run ingests the
//     newer content.

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// notHeld splits off the regular files that a process holds open for
// writing.
func notHeld(root string, cands []candidate) (ready []candidate, deferred []Skipped) {
	var paths []string
	for _, c := range cands {
		if c.kind == entryYAML || c.kind == entryOther {
			paths = append(paths, filepath.Join(root, filepath.FromSlash(c.rel)))
		}
	}
	if len(paths) == 0 {
		return cands, nil
	}
	held, _ := openwriters.Of(paths) // an unreadable /proc hides writers; the later checks remain
	if len(held) == 0 {
		return cands, nil
	}
	ready = cands[:0:0]
	for _, c := range cands {
		if w, ok := held[filepath.Join(root, filepath.FromSlash(c.rel))]; ok {
			deferred = append(deferred, heldOpen(c.rel, w))
			continue
		}
		ready = append(ready, c)
	}
	return ready, deferred
}

func heldOpen(rel string, w openwriters.Writer) Skipped {
	return Skipped{Path: rel, Code: DeferOpenForWriting,
		Reason: fmt.Sprintf("open for writing by %s; taken once the writer closes it", w)}
}

// heldNow returns the originals among rels (less the failed ones) that a
// process holds open for writing now, by their path below the FGD: one
// /proc scan for a batch.
func (p *planner) heldNow(rels []string, failed map[string]bool) map[string]openwriters.Writer {
	abs := make([]string, 0, len(rels))
	for _, rel := range rels {
		if !failed[rel] {
			abs = append(abs, p.v.abs(rel))
		}
	}
	held, _ := openwriters.Of(abs) // an unreadable /proc hides writers; the stamp check remains
	out := make(map[string]openwriters.Writer, len(held))
	for _, rel := range rels {
		if w, ok := held[p.v.abs(rel)]; ok {
			out[rel] = w
		}
	}
	return out
}

// keep reports whether the original rel, at abs, must stay in place
// although its outputs are written: a process opened it for writing after
// the run took it, or it is no longer the version the run read (its size,
// times or inode moved). Its outputs and archived copy are from the version
// read; the newer content is ingested by the next run, which the caller's
// Deferred entry asks for.
func (p *planner) keep(rel, abs string, held map[string]openwriters.Writer) (Skipped, bool) {
	if w, ok := held[rel]; ok {
		return heldOpen(rel, w), true
	}
	want, ok := p.stamps[rel]
	if !ok {
		return Skipped{}, false
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode().IsRegular() && fgd.StampOf(fi) != want {
		return Skipped{Path: rel, Code: DeferChanged,
			Reason: "changed while it was being ingested; left in place and ingested again by the next sync"}, true
	}
	return Skipped{}, false
}
