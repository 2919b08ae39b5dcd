package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/fgdproject/fgd/internal/fgd"
)

// apply carries out a batch's plan in the crash-safe order (see Run):
// managed files, unmanaged files and sidecars, archive copies, the archive
// log, then the removal of the originals. It reports whether the tree
// changed.
func (p *planner) apply(b *batch) (changed bool, err error) {
	steps := []func(*batch, map[string]bool) (bool, error){
		p.writeManaged, p.writeUnmanaged, p.writeArchive, p.writeLog, p.removeOriginals,
	}
	// failed holds the originals that changed or vanished under us: they
	// are left for the next run, and nothing that names them is written.
	failed := map[string]bool{}
	for _, step := range steps {
		c, err := step(b, failed)
		changed = changed || c
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// writeManaged is step 1: the managed files, in path order.
func (p *planner) writeManaged(b *batch, _ map[string]bool) (bool, error) {
	paths := make([]string, 0, len(b.managed))
	for mp := range b.managed {
		paths = append(paths, mp)
	}
	sort.Strings(paths)
	mb := fgd.NewBatch()
	defer mb.Abort()
	files := make([]fgd.File, len(paths))
	for i, mp := range paths {
		files[i] = fgd.File{Path: p.v.abs(mp), Data: b.managed[mp], Perm: 0o644}
	}
	if _, err := mb.WriteMany(files, p.workers); err != nil {
		return false, err
	}
	changed := mb.Len() > 0
	if err := mb.Commit(); err != nil {
		return changed, err
	}
	p.remember(paths, b)
	return changed, nil
}

// writeUnmanaged is step 2: the unmanaged files and their sidecars, in file
// order.
func (p *planner) writeUnmanaged(b *batch, failed map[string]bool) (bool, error) {
	ub := fgd.NewBatch()
	defer ub.Abort()
	for _, u := range b.unmanaged {
		if u.writeData {
			if err := p.writeUnmanagedData(ub, u); err != nil {
				// A full disk fails the whole run: every later write would
				// fail too, and the caller must see why (it stalls the sync
				// with a remediation). The original stays in raw/.
				if isNoSpace(err) {
					return false, err
				}
				// The original changed or vanished under us: leave it for
				// the next run, and write nothing that names it.
				failed[u.file] = true
				p.fail(u.file, err)
				continue
			}
		}
		if u.sidecarAt != "" {
			if _, err := ub.Write(p.v.abs(u.sidecarAt), u.sidecar, 0o644); err != nil {
				return false, err
			}
		}
	}
	changed := ub.Len() > 0
	return changed, ub.Commit()
}

// writeUnmanagedData stages an unmanaged file's content: a link, a copy of
// the original, or the rejected documents.
func (p *planner) writeUnmanagedData(ub *fgd.Batch, u unmanagedWrite) error {
	var err error
	switch {
	case u.isLink:
		err = ub.Symlink(p.v.abs(u.rel), u.linkTo)
	case u.copyFrom != "":
		err = ub.Copy(p.v.abs(u.rel), p.v.abs(u.copyFrom), u.sum, 0o644)
	default:
		_, err = ub.Write(p.v.abs(u.rel), u.data, 0o644)
	}
	return err
}

// writeArchive is step 3: the archive copies.
func (p *planner) writeArchive(b *batch, failed map[string]bool) (bool, error) {
	ab := fgd.NewBatch()
	defer ab.Abort()
	for _, a := range b.archive {
		if failed[a.file] {
			continue
		}
		if _, err := ab.Write(p.v.abs(a.rel), a.data, 0o644); err != nil {
			return false, err
		}
	}
	if err := p.archiveRetired(ab, b, failed); err != nil {
		return false, err
	}
	changed := ab.Len() > 0
	return changed, ab.Commit()
}

// writeLog is step 4: the archive log, new segments if it rolls, then one
// atomic rewrite of its recent part.
func (p *planner) writeLog(b *batch, failed map[string]bool) (bool, error) {
	for _, r := range b.records {
		if !failed[r.Path] && !failed[b.retiredFor(r.Path)] {
			if _, err := p.log.add(r); err != nil {
				return false, err
			}
		}
	}
	return p.log.dirty, p.log.write(p.root)
}

// removeOriginals is step 5: the originals, in ascending path order.
func (p *planner) removeOriginals(b *batch, failed map[string]bool) (bool, error) {
	if p.beforeRemove != nil {
		p.beforeRemove()
	}
	held := p.heldNow(b.remove, failed)
	dirs := map[string]bool{}
	if err := p.removeRetired(b, failed, dirs); err != nil {
		return false, err
	}
	changed := len(b.retire) > 0
	for _, rel := range b.remove {
		if failed[rel] {
			continue
		}
		abs := p.v.abs(rel)
		if why, keep := p.keep(rel, abs, held); keep {
			p.rep.Deferred = append(p.rep.Deferred, why)
			continue
		}
		if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
			return changed, err
		}
		changed = true
		dirs[filepath.Dir(abs)] = true
	}
	return changed, fgd.SyncDirs(dirs)
}

// remember tells the managed cache that the managed files just written are
// valid: they are fgd's own normalized output of validated resources, so
// the next sync need not parse them again (reading them back from the page
// cache costs far less than parsing), and the desired set takes their
// bytes from the cache instead of reading them once more.
func (p *planner) remember(paths []string, b *batch) {
	if p.cache == nil {
		return
	}
	for _, mp := range paths {
		if c, ok := p.claims[p.holder[mp]]; ok {
			p.cache.putRead(p.root, mp, b.managed[mp], sumOf(b.managed[mp]), c.res.id)
		}
	}
}

// isNoSpace reports whether err comes from a full filesystem or an
// exhausted disk quota.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
