package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// CodeNotManaged rejects a file in managed/ that is not exactly one valid
// resource at its own normalized path.
const CodeNotManaged = "not-managed"

// checkManaged validates managed/ the way raw/ is (SPEC §5: "managed/ is
// validated like raw/, never trusted"): every file of a kind folder that
// changed since it was last found valid is read under the read rule,
// parsed and validated by the same code as a raw file, and must be one
// resource whose normalized path is the file's own. It returns the files
// that fail, ready to be routed whole to unmanaged/ by the planner, and
// the ones deferred because a writer may still be at work on them. A
// symlink there is moved as a link; a FIFO or device is left in place and
// reported, as in raw/.
func checkManaged(ctx context.Context, root string, reg *resource.Registry, o Options) (bad []examined, deferred []Skipped, err error) {
	cands, stamps, err := listManaged(root, o.ManagedCache)
	if err != nil {
		return nil, nil, err
	}
	if wait := settleWait(cands, o.Settle, time.Now()); wait > 0 && wait <= maxSettleWait {
		// As in raw/ (see Run): files written just before the run are
		// waited for, once, not left for a follow-up sync.
		if err := sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
		if cands, stamps, err = listManaged(root, o.ManagedCache); err != nil {
			return nil, nil, err
		}
	}
	cands, deferred = settled(cands, o.Settle, time.Now())
	cands, held := notHeld(root, cands)
	deferred = append(deferred, held...)
	results := examineAll(ctx, root, cands, reg, o)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for i, e := range results {
		if e.c.kind == entryYAML {
			o.ManagedCache.count(1, 0)
		}
		if e.c.kind == entryYAML && e.fatal == nil && e.fileIssue == nil {
			o.ManagedCache.count(0, 1)
			if judgeManaged(&e) {
				o.ManagedCache.put(e.c.rel, stamps[e.c.rel], e.sum, e.docs[0].res.id, e.data)
				continue
			}
		}
		o.ManagedCache.forget(cands[i].rel)
		bad = append(bad, e)
	}
	return bad, deferred, nil
}

// listManaged lists the files of managed/'s kind folders that need a check,
// with their stamps as listed, before they are read: a write after that
// changes the change time, so what the cache remembers is never newer than
// what was validated.
func listManaged(root string, cache *ManagedCache) ([]candidate, map[string]fgd.Stamp, error) {
	var cands []candidate
	stamps := map[string]fgd.Stamp{}
	for _, dir := range resource.KindDirs() {
		rel := path.Join(fgd.ManagedDir, dir)
		entries, err := listKindDir(root, rel)
		if os.IsNotExist(err) || errors.Is(err, fgd.ErrNotRegular) {
			continue // Ensure creates (or moves aside) the folder
		}
		if err != nil {
			return nil, nil, fmt.Errorf("list %s: %w", rel, err)
		}
		for _, d := range entries {
			if c, st, ok := managedCandidate(rel, d, cache); ok {
				cands = append(cands, c)
				stamps[c.rel] = st
			}
		}
	}
	return cands, stamps, nil
}

// listKindDir lists a kind folder of managed/, which must be a real folder:
// a symlink there (only in a dry run, since Ensure moves it aside) is not
// listed, so not even the names of what it points to are read.
func listKindDir(root, rel string) ([]fs.DirEntry, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fgd.UnsafeFileError{Path: dir, Reason: fgd.ErrNotRegular, Detail: "expected a folder"}
	}
	return os.ReadDir(dir)
}

// managedCandidate is the candidate for a kind folder's entry d, or false
// when there is nothing to check: a dotfile (.gitkeep, fgd's temp files), a
// folder, or a file unchanged since it was found valid.
func managedCandidate(dir string, d fs.DirEntry, cache *ManagedCache) (candidate, fgd.Stamp, bool) {
	name := d.Name()
	if strings.HasPrefix(name, ".") || d.IsDir() {
		return candidate{}, fgd.Stamp{}, false
	}
	c := candidate{rel: path.Join(dir, name), mode: d.Type()}
	var st fgd.Stamp
	switch t := d.Type(); {
	case t.IsRegular():
		fi, err := d.Info()
		if err != nil {
			// Gone meanwhile; examine reports anything else.
			return c, st, !os.IsNotExist(err)
		}
		if st = fgd.StampOf(fi); cache.hasStamp(c.rel, st) {
			return candidate{}, st, false
		}
		c.kind, c.size, c.stamp = entryYAML, fi.Size(), fgd.StampOf(fi)
	case t&fs.ModeSymlink != 0:
		c.kind = entrySymlink
	default:
		c.kind = entrySpecial
	}
	return c, st, true
}

// judgeManaged reports whether e, a parsed file of managed/, is exactly one
// valid resource at its own managed path. When it is not, every document
// gets the reason and none is left valid, so the planner routes the whole
// file to unmanaged/.
func judgeManaged(e *examined) bool {
	rel := e.c.rel
	switch {
	case len(e.docs) == 0:
		e.fileIssue = &resource.Issue{Document: -1, Code: CodeNotManaged,
			Message: "a managed file holds one resource; this one holds none",
			Hint:    "remove it; fgd writes managed/ from what is dropped into raw/"}
		return false
	case len(e.docs) == 1 && e.docs[0].res != nil && e.docs[0].res.path == rel:
		return true
	}
	for i := range e.docs {
		d := &e.docs[i]
		switch {
		case d.res == nil:
			continue // rejected with its own reasons, as in raw/
		case len(e.docs) > 1:
			d.issues = []resource.Issue{{Document: d.index, Line: d.line, Code: CodeNotManaged,
				Message: fmt.Sprintf("a managed file holds one resource; this one holds %d", len(e.docs)),
				Hint:    "drop the file into raw/: fgd writes each resource to its own managed file"}}
		default:
			d.issues = []resource.Issue{{Document: d.index, Line: d.line, Path: "metadata.name", Code: CodeNotManaged,
				Message: fmt.Sprintf("it holds %s %q, whose managed file is %s, not %s", d.res.id.Kind, d.res.id.Name, d.res.path, rel),
				Hint:    "drop the file into raw/ to ingest it under its own name, or fix its kind or name"}}
		}
		d.res = nil
	}
	return false
}
