package git

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// The clone's object store grows with every fetch (the new commits, trees
// and files, loose) and every commit fgd makes, and go-git never repacks or
// prunes. Past any of these bounds, Update compacts it: one new pack of
// what the clone's tips need (their commits and trees, no history below
// them), the tips become the shallow boundary, and every other pack and
// loose object goes. Each pack costs an open descriptor and its index in
// memory while the clone is open; each commit kept below the head keeps
// the trees it changed.
const (
	maxPacks   = 16
	maxLoose   = 1024
	maxHistory = 16
)

// packWindow is how many objects the encoder tries as delta bases for each:
// git's default. Without deltas the pack of a 5,000-file FGD was twice the
// size of the one a clone receives; with them it is the same size, for
// about a second of compaction.
const packWindow = 10

// shallowTempPrefix names the temp file the shallow list is written to
// before it is renamed into place; removeTemps removes one a crash left.
const shallowTempPrefix = ".tmp-shallow-"

// needsCompaction reports whether the clone is past a bound: too many
// packs, loose objects or commits, or loose objects that weigh more than
// the packs (the trees of a large FGD's changes add up fast), which keeps
// the clone's objects within about twice a compacted clone's. Callers hold
// r.mu.
func (r *Repo) needsCompaction() bool {
	loose, looseBytes := r.looseStats()
	return r.packCount() > maxPacks || loose > maxLoose || looseBytes > r.packBytes() || r.historyLen() > maxHistory
}

// looseStats counts the loose objects and their bytes, up to maxLoose+1.
func (r *Repo) looseStats() (n int, bytes int64) {
	dirs, _ := filepath.Glob(filepath.Join(r.gitDir(), "objects", "[0-9a-f][0-9a-f]"))
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if fi, err := e.Info(); err == nil {
				bytes += fi.Size()
			}
			if n++; n > maxLoose {
				return n, bytes
			}
		}
	}
	return n, bytes
}

// packBytes is the size of the clone's packs.
func (r *Repo) packBytes() int64 {
	packs, _ := filepath.Glob(filepath.Join(r.gitDir(), "objects", "pack", "*.pack"))
	var n int64
	for _, p := range packs {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// historyLen is the number of commits the clone holds below its branch's
// tip, along first parents down to a shallow commit, counted up to
// maxHistory+1.
func (r *Repo) historyLen() int {
	shallows, _ := r.repo.Storer.Shallow()
	c, err := r.commit(r.ref(r.branchRef()))
	n := 0
	for err == nil && c != nil && n <= maxHistory && len(c.ParentHashes) > 0 && !contains(shallows, c.Hash) {
		c, err = r.commit(c.ParentHashes[0])
		if c != nil {
			n++
		}
	}
	return n
}

// compactOrKeep compacts the clone. A compaction that fails (a full disk)
// leaves the clone usable, as each of its steps does: it is opened again
// and used as it is, to be compacted at a later sync. Only a clone that
// cannot be opened then is discarded, to be cloned again. Callers hold
// r.mu.
func (r *Repo) compactOrKeep() error {
	err := r.compact()
	if err == nil {
		r.log.Info("compacted the clone", "dir", r.o.Dir)
		return nil
	}
	r.log.Warn("cannot compact the clone; it is used as it is", "dir", r.o.Dir, "err", err)
	_ = r.closeStorage()
	r.repo = nil
	r.removeTemps()
	r.removeOrphanIndexes()
	if err := r.openExisting(); err != nil {
		r.log.Warn("the clone cannot be opened after a failed compaction and is cloned afresh", "dir", r.o.Dir, "err", err)
		return r.discardClone()
	}
	return nil
}

// compact rewrites the clone's objects as one pack of what its tips need
// and drops the rest. Each step leaves a usable clone if the process dies
// after it: the new pack is complete before it is renamed into place, the
// shallow list is renamed into place whole, and only then do the old packs
// and loose objects go, none of which the tips need any more. Callers hold
// r.mu; the clone is opened again afterwards.
func (r *Repo) compact() error {
	r.removeOrphanIndexes()
	tips := r.tips()
	if len(tips) == 0 {
		return errors.New("the clone has no commit to keep")
	}
	hashes, err := r.closure(tips)
	if err != nil {
		return err
	}
	pw, ok := r.repo.Storer.(storer.PackfileWriter)
	if !ok {
		return errors.New("the clone's storage cannot write packs")
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return fmt.Errorf("write a pack: %w", err)
	}
	sum, err := packfile.NewEncoder(w, r.repo.Storer, false).Encode(hashes, packWindow)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write a pack: %w", err)
	}
	if r.crashAfter == compactPackWritten {
		return errCrashed
	}
	if err := r.writeShallow(r.boundary(tips)); err != nil {
		return err
	}
	if r.crashAfter == compactShallowWritten {
		return errCrashed
	}
	_ = r.closeStorage()
	r.repo = nil
	r.removeAllBut("pack-"+sum.String(), r.crashAfter == compactHalfRemoved)
	if r.crashAfter == compactHalfRemoved {
		return errCrashed
	}
	return r.openExisting()
}

// Steps of compact after which tests stop it, leaving the clone on disk as
// a process killed there would.
const (
	compactPackWritten = iota + 1
	compactShallowWritten
	compactHalfRemoved
)

// errCrashed is compact stopped by a test.
var errCrashed = errors.New("compaction stopped (test)")

// tips are the commits the clone must keep: the remote branch as fetched,
// the local branch (a commit not pushed yet) and the last verified one.
func (r *Repo) tips() []plumbing.Hash {
	var out []plumbing.Hash
	for _, name := range []plumbing.ReferenceName{r.trackingRef(), r.branchRef(), verifiedRef} {
		h := r.ref(name)
		if c, err := r.commit(h); err == nil && c != nil && !contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func contains(hs []plumbing.Hash, h plumbing.Hash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// boundary is the shallow list of a clone holding only tips: each tip with
// a parent that is not one of them.
func (r *Repo) boundary(tips []plumbing.Hash) []plumbing.Hash {
	var out []plumbing.Hash
	for _, h := range tips {
		c, err := r.commit(h)
		if err != nil || c == nil {
			continue
		}
		for _, p := range c.ParentHashes {
			if !contains(tips, p) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// closure lists the tips, their trees and everything in them.
func (r *Repo) closure(tips []plumbing.Hash) ([]plumbing.Hash, error) {
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	add := func(h plumbing.Hash) bool {
		if seen[h] {
			return false
		}
		seen[h] = true
		out = append(out, h)
		return true
	}
	for _, h := range tips {
		c, err := r.repo.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		add(h)
		if err := r.addTree(c.TreeHash, add); err != nil {
			return nil, fmt.Errorf("read the tree of %s: %w", h, err)
		}
	}
	return out, nil
}

func (r *Repo) addTree(h plumbing.Hash, add func(plumbing.Hash) bool) error {
	if !add(h) {
		return nil
	}
	t, err := r.repo.TreeObject(h)
	if err != nil {
		return err
	}
	for _, e := range t.Entries {
		switch e.Mode {
		case filemode.Submodule: // a commit of another repository
		case filemode.Dir:
			if err := r.addTree(e.Hash, add); err != nil {
				return err
			}
		default:
			add(e.Hash)
		}
	}
	return nil
}

// writeShallow replaces the clone's shallow list with hs, whole or not at
// all.
func (r *Repo) writeShallow(hs []plumbing.Hash) error {
	if len(hs) == 0 {
		if err := os.Remove(filepath.Join(r.gitDir(), "shallow")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("write the shallow list: %w", err)
		}
		return nil
	}
	f, err := os.CreateTemp(r.gitDir(), shallowTempPrefix+"*")
	if err != nil {
		return fmt.Errorf("write the shallow list: %w", err)
	}
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.String() + "\n")
	}
	_, err = f.WriteString(b.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(r.gitDir(), "shallow"))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write the shallow list: %w", err)
	}
	return nil
}

// removeAllBut removes every pack but keep (its base name) and every loose
// object; half of them when a test stops it there. What cannot be removed
// stays: it costs space, not correctness.
func (r *Repo) removeAllBut(keep string, half bool) {
	objects := filepath.Join(r.gitDir(), "objects")
	packs, _ := filepath.Glob(filepath.Join(objects, "pack", "pack-*"))
	loose, _ := filepath.Glob(filepath.Join(objects, "[0-9a-f][0-9a-f]", "*"))
	all := append(packs, loose...)
	if half {
		all = all[:len(all)/2]
	}
	for _, p := range all {
		if strings.HasPrefix(filepath.Base(p), keep+".") {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			r.log.Warn("cannot remove an object file compaction left behind", "file", p, "err", err)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(objects, "[0-9a-f][0-9a-f]"))
	for _, d := range dirs {
		_ = os.Remove(d) // only when empty
	}
}
