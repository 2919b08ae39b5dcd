package ingest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
)

// OutcomeRetired is the archive-log outcome of a stale entry of unmanaged/
// (a file or its sidecar) that fgd moved to .hnp/archive/ because a newer
// version of the same file was ingested.
const OutcomeRetired = "retired"

// Retired is an entry of unmanaged/ that a run moved to .hnp/archive/: the
// file it stood for was ingested again, so its rejection is history.
type Retired struct {
	// Path is the entry in unmanaged/ (a file, or a sidecar left alone
	// after its file was moved back to raw/ for fixing).
	Path string `json:"path"`
	// ArchivedAs is where it went.
	ArchivedAs string `json:"archived_as"`
	// Original is the file whose ingestion retired it.
	Original string `json:"original"`
}

// retireWrite moves one stale entry of unmanaged/ into the archive.
type retireWrite struct {
	file     string // the original whose ingestion retires it
	rel      string // the entry in unmanaged/
	to       string // its name in .hnp/archive/
	sum      fgd.Sum
	linkTo   string // for a symlink stored in unmanaged/: its target
	isLink   bool
	existing bool // identical content is already archived
}

// unmanagedEntry is one stored file of unmanaged/ (or an orphan sidecar)
// and the original its sidecar names.
type unmanagedEntry struct {
	rel      string // the stored file, or the sidecar when the file is gone
	sidecar  string // "" when it has none
	original string
}

// unmanagedIndex lists, once per run, the entries of unmanaged/ by the
// original they came from. Sidecars fgd cannot read are skipped: an entry
// fgd cannot attribute is never moved.
func (p *planner) unmanagedIndex() (map[string][]unmanagedEntry, error) {
	if p.unmanagedBy != nil {
		return p.unmanagedBy, nil
	}
	p.unmanagedBy = map[string][]unmanagedEntry{}
	dir := p.v.abs(fgd.UnmanagedDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return p.unmanagedBy, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, fgd.SidecarSuffix) || fgd.IsTemp(name) {
			continue
		}
		side, ok := p.readStaleSidecar(path.Join(fgd.UnmanagedDir, name))
		if !ok || side.Original == "" {
			continue
		}
		sideRel := path.Join(fgd.UnmanagedDir, name)
		stored := strings.TrimSuffix(sideRel, fgd.SidecarSuffix)
		ent := unmanagedEntry{rel: stored, sidecar: sideRel, original: side.Original}
		if _, err := os.Lstat(p.v.abs(stored)); errors.Is(err, os.ErrNotExist) {
			ent.rel, ent.sidecar = sideRel, ""
		}
		p.unmanagedBy[side.Original] = append(p.unmanagedBy[side.Original], ent)
		if base := path.Base(stored); base != path.Base(side.Original) {
			// Moved back to raw/ under its stored name (the documented fix
			// path): that name finds it too.
			alias := path.Join(fgd.RawDir, base)
			p.unmanagedBy[alias] = append(p.unmanagedBy[alias], ent)
		}
	}
	return p.unmanagedBy, nil
}

// readStaleSidecar reads a sidecar of unmanaged/ through the FGD reader
// (no symlink, bounded); one fgd cannot read is no sidecar of its own.
func (p *planner) readStaleSidecar(rel string) (fgd.Sidecar, bool) {
	data, err := fgd.ReadFile(p.root, rel, fgd.MaxInputBytes)
	if err != nil {
		return fgd.Sidecar{}, false
	}
	var side fgd.Sidecar
	if err := yaml.Unmarshal(data, &side); err != nil {
		return fgd.Sidecar{}, false
	}
	return side, true
}

// retireStale plans the move to .hnp/archive/ of the entries of unmanaged/
// left by earlier versions of the file e, once e has been handled: every
// entry it came from except the one this run keeps (fr.UnmanagedAs).
func (p *planner) retireStale(e examined, fr *FileResult, b *batch) error {
	idx, err := p.unmanagedIndex()
	if err != nil {
		return err
	}
	ents := idx[e.c.rel]
	sort.Slice(ents, func(i, j int) bool { return ents[i].rel < ents[j].rel })
	for _, ent := range ents {
		if fr.UnmanagedAs != "" && (ent.rel == fr.UnmanagedAs || ent.rel == fr.UnmanagedAs+fgd.SidecarSuffix) {
			continue
		}
		if p.retired[ent.rel] {
			continue
		}
		for _, rel := range []string{ent.rel, ent.sidecar} {
			if rel == "" {
				continue
			}
			if err := p.retireOne(e.c.rel, rel, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// retireOne plans the archive copy, log record and removal of one entry.
func (p *planner) retireOne(original, rel string, b *batch) error {
	sum, there, err := p.v.lookup(rel)
	if err != nil || !there {
		return err
	}
	w := retireWrite{file: original, rel: rel, sum: sum}
	if fi, err := os.Lstat(p.v.abs(rel)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if w.linkTo, err = os.Readlink(p.v.abs(rel)); err != nil {
			return fmt.Errorf("read link %s: %w", rel, err)
		}
		w.isLink = true
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil // a folder or device someone put there: not fgd's to move
	}
	name, exists, err := fgd.ChooseName(fgd.ArchiveDir, fgd.SourceName(rel), sum, "", p.v.lookup)
	if err != nil {
		return err
	}
	w.to, w.existing = path.Join(fgd.ArchiveDir, name), exists
	if !exists {
		p.v.set(w.to, sum, "")
	}
	p.retired[rel] = true
	b.retire = append(b.retire, w)
	b.records = append(b.records, Record{Path: rel, SHA256: hex.EncodeToString(sum[:]), ArchivedAs: w.to,
		Outcome: OutcomeRetired, When: p.when()})
	if !strings.HasSuffix(rel, fgd.SidecarSuffix) || !p.hasRetiredData(b, rel) {
		p.rep.Retired = append(p.rep.Retired, Retired{Path: rel, ArchivedAs: w.to, Original: original})
	}
	return nil
}

// hasRetiredData reports whether the file a sidecar belongs to is retired
// in this batch too: the report then lists the file alone.
func (p *planner) hasRetiredData(b *batch, sidecar string) bool {
	data := strings.TrimSuffix(sidecar, fgd.SidecarSuffix)
	for _, w := range b.retire {
		if w.rel == data {
			return true
		}
	}
	return false
}

// archiveRetired copies the batch's retired entries into .hnp/archive/
// (step 3 of apply); failed names the originals whose writes failed.
func (p *planner) archiveRetired(ab *fgd.Batch, b *batch, failed map[string]bool) error {
	for _, w := range b.retire {
		if failed[w.file] || w.existing {
			continue
		}
		var err error
		if w.isLink {
			err = ab.Symlink(p.v.abs(w.to), w.linkTo)
		} else {
			err = ab.Copy(p.v.abs(w.to), p.v.abs(w.rel), w.sum, 0o644)
		}
		if err != nil {
			return fmt.Errorf("archive the stale %s: %w", w.rel, err)
		}
	}
	return nil
}

// removeRetired removes the retired entries from unmanaged/ (step 5 of
// apply, before the originals: an original still in place makes a re-run
// after a crash find and finish the retirement).
func (p *planner) removeRetired(b *batch, failed map[string]bool, dirs map[string]bool) error {
	for _, w := range b.retire {
		if failed[w.file] {
			continue
		}
		abs := p.v.abs(w.rel)
		if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		dirs[filepath.Dir(abs)] = true
	}
	return nil
}

// retiredFor returns the original whose ingestion retires the unmanaged
// entry rel in this batch, or "".
func (b *batch) retiredFor(rel string) string {
	for _, w := range b.retire {
		if w.rel == rel {
			return w.file
		}
	}
	return ""
}

// unretire drops from the report what a failed file would have retired.
func (p *planner) unretire(file string) {
	kept := p.rep.Retired[:0]
	for _, r := range p.rep.Retired {
		if r.Original != file {
			kept = append(kept, r)
		}
	}
	p.rep.Retired = kept
}
