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
	"sync"
	"sync/atomic"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// CodeNotManaged rejects a file in managed/ that is not exactly one valid
// resource at its own normalized path.
const CodeNotManaged = "not-managed"

// ManagedCache remembers the managed files found valid, so a sync over an
// unchanged managed/ tree parses nothing: a file is validated again only
// when its size, modification time, change time or inode moved (any write
// or rename changes its change time, which no user can set back) or, when
// its content is at hand, when its SHA-256 differs. The daemon keeps one
// per fabric; a nil cache validates every file on every run. It is safe
// for concurrent use.
type ManagedCache struct {
	mu     sync.Mutex
	valid  map[string]validEntry // managed path → the version found valid
	parsed atomic.Int64
}

type validEntry struct {
	stamp fileStamp
	sum   fgd.Sum
	id    resource.Identity
}

// NewManagedCache returns an empty cache.
func NewManagedCache() *ManagedCache { return &ManagedCache{valid: map[string]validEntry{}} }

// Parsed is how many managed files were parsed and validated through the
// cache so far: an unchanged tree adds none.
func (c *ManagedCache) Parsed() int64 {
	if c == nil {
		return 0
	}
	return c.parsed.Load()
}

func (c *ManagedCache) byStamp(rel string, s fileStamp) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.valid[rel]
	return ok && e.stamp == s
}

func (c *ManagedCache) bySum(rel string, sum fgd.Sum) (resource.Identity, bool) {
	if c == nil {
		return resource.Identity{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.valid[rel]
	return e.id, ok && e.sum == sum
}

func (c *ManagedCache) put(rel string, e validEntry) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid[rel] = e
}

// putRead remembers the file at rel as valid when it holds content with
// sum, checking it on disk: its stamp is taken before it is read back, so
// a write at any moment after leaves the cache behind, never ahead.
func (c *ManagedCache) putRead(root, rel string, sum fgd.Sum, id resource.Identity) {
	if c == nil {
		return
	}
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	data, err := fgd.ReadFile(root, rel, fgd.MaxInputBytes)
	if err != nil || sumOf(data) != sum {
		return
	}
	c.put(rel, validEntry{stamp: stampOf(fi), sum: sum, id: id})
}

func (c *ManagedCache) forget(rel string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.valid, rel)
}

func (c *ManagedCache) count() {
	if c != nil {
		c.parsed.Add(1)
	}
}

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
		if e.c.kind == entryYAML && e.fatal == nil && e.fileIssue == nil {
			o.ManagedCache.count()
			if judgeManaged(&e) {
				o.ManagedCache.put(e.c.rel, validEntry{stamp: stamps[e.c.rel], sum: e.sum, id: e.docs[0].res.id})
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
func listManaged(root string, cache *ManagedCache) ([]candidate, map[string]fileStamp, error) {
	var cands []candidate
	stamps := map[string]fileStamp{}
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
func managedCandidate(dir string, d fs.DirEntry, cache *ManagedCache) (candidate, fileStamp, bool) {
	name := d.Name()
	if strings.HasPrefix(name, ".") || d.IsDir() {
		return candidate{}, fileStamp{}, false
	}
	c := candidate{rel: path.Join(dir, name), mode: d.Type()}
	var st fileStamp
	switch t := d.Type(); {
	case t.IsRegular():
		fi, err := d.Info()
		if err != nil {
			// Gone meanwhile; examine reports anything else.
			return c, st, !os.IsNotExist(err)
		}
		if st = stampOf(fi); cache.byStamp(c.rel, st) {
			return candidate{}, st, false
		}
		c.kind, c.size, c.stamp = entryYAML, fi.Size(), stampOf(fi)
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
