package git

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// afterFailure puts the clone right after a failed Do, for the next sync.
// A go-git write that gave up (a full disk) leaves its temp files, which
// go-git never looks at again. A fetched pack whose saving failed after its
// index was written leaves that index without its pack; go-git still counts
// the pack as stored, so every read fails with "packfile not found" until
// the clone is opened again, and a later fetch of the same pack would keep
// the cut index and pair it with the pack. So the orphaned index goes, and
// the clone is opened afresh. Callers hold r.mu, so no write is under way.
func (r *Repo) afterFailure(err error) {
	r.removeTemps()
	orphans := r.removeOrphanIndexes()
	if r.repo == nil || (orphans == 0 && !errors.Is(err, dotgit.ErrPackfileNotFound)) {
		return
	}
	_ = r.closeStorage()
	r.repo = nil
	if err := r.openExisting(); err != nil {
		r.log.Warn("the clone cannot be used after a failed write and will be cloned again", "dir", r.o.Dir, "err", err)
		if err := r.discardClone(); err != nil {
			r.log.Error("cannot remove the clone", "dir", r.o.Dir, "err", err)
		}
		return
	}
	r.log.Info("reopened the clone after a failed write", "dir", r.o.Dir)
}

// removeOrphanIndexes removes the pack indexes whose pack is not there and
// returns how many it removed. go-git writes a pack's index, then renames
// the pack into place: an index alone is what a failed or interrupted save
// leaves.
func (r *Repo) removeOrphanIndexes() int {
	idx, _ := filepath.Glob(filepath.Join(r.gitDir(), "objects", "pack", "pack-*.idx"))
	n := 0
	for _, p := range idx {
		if _, err := os.Lstat(strings.TrimSuffix(p, ".idx") + ".pack"); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			r.log.Warn("cannot remove the index of a pack a failed fetch did not store", "file", p, "err", err)
			continue
		}
		r.log.Info("removed the index of a pack a failed fetch did not store", "file", p)
		n++
	}
	return n
}
