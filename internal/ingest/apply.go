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
	// (1) managed files, in path order.
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
		return changed, err
	}
	changed = changed || mb.Len() > 0
	if err := mb.Commit(); err != nil {
		return changed, err
	}
	p.remember(paths, b)

	// (2) unmanaged files and their sidecars, in file order.
	failed := map[string]bool{}
	ub := fgd.NewBatch()
	defer ub.Abort()
	for _, u := range b.unmanaged {
		if u.writeData {
			var err error
			switch {
			case u.isLink:
				err = ub.Symlink(p.v.abs(u.rel), u.linkTo)
			case u.copyFrom != "":
				err = ub.Copy(p.v.abs(u.rel), p.v.abs(u.copyFrom), u.sum, 0o644)
			default:
				_, err = ub.Write(p.v.abs(u.rel), u.data, 0o644)
			}
			if err != nil {
				// A full disk fails the whole run: every later write would
				// fail too, and the caller must see why (it stalls the sync
				// with a remediation). The original stays in raw/.
				if isNoSpace(err) {
					return changed, err
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
				return changed, err
			}
		}
	}
	changed = changed || ub.Len() > 0
	if err := ub.Commit(); err != nil {
		return changed, err
	}

	// (3) archive copies.
	ab := fgd.NewBatch()
	defer ab.Abort()
	for _, a := range b.archive {
		if failed[a.file] {
			continue
		}
		if _, err := ab.Write(p.v.abs(a.rel), a.data, 0o644); err != nil {
			return changed, err
		}
	}
	if err := p.archiveRetired(ab, b, failed); err != nil {
		return changed, err
	}
	changed = changed || ab.Len() > 0
	if err := ab.Commit(); err != nil {
		return changed, err
	}

	// (4) the archive log: new segments if it rolls, then one atomic
	// rewrite of its recent part.
	for _, r := range b.records {
		if !failed[r.Path] && !failed[b.retiredFor(r.Path)] {
			if _, err := p.log.add(r); err != nil {
				return changed, err
			}
		}
	}
	changed = changed || p.log.dirty
	if err := p.log.write(p.root); err != nil {
		return changed, err
	}

	// (5) the originals, in ascending path order.
	if p.beforeRemove != nil {
		p.beforeRemove()
	}
	held := p.heldNow(b.remove, failed)
	dirs := map[string]bool{}
	if err := p.removeRetired(b, failed, dirs); err != nil {
		return changed, err
	}
	changed = changed || len(b.retire) > 0
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
// cache costs far less than parsing).
func (p *planner) remember(paths []string, b *batch) {
	if p.cache == nil {
		return
	}
	for _, mp := range paths {
		if c, ok := p.claims[p.holder[mp]]; ok {
			p.cache.putRead(p.root, mp, sumOf(b.managed[mp]), c.res.id)
		}
	}
}

// isNoSpace reports whether err comes from a full filesystem or an
// exhausted disk quota.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
