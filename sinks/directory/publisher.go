// Package directory is the directory sink: it publishes a fabric's desired
// set as a directory tree for tools on the host, atomically. Every change
// is a whole new tree under <Path>/.trees/, written and made durable in a
// temp directory, renamed into place, and made live by swapping the
// <Path>/current symlink with a rename, so a reader that follows current
// sees one complete tree or the next, never a mix. A few old trees are
// kept for readers still in them; older ones are removed.
//
// A new tree writes only changed files: the files the live tree already
// holds with the desired bytes are hard-linked from it (copied where
// link(2) fails). That is safe because the sink never writes into an
// existing file, only creates files in a fresh temp tree. A hand edit in
// place of a live file changes the older trees sharing its inode too; it
// is drift, repaired by a newly written file, and older trees serve only
// readers still inside them, so their inventories going stale is accepted.
package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// DefaultKeep is how many old trees are kept besides the live one.
const DefaultKeep = 2

// Options configures a Publisher.
type Options struct {
	// Path is the sink's directory; it holds .trees/ and the current
	// symlink, and is created when missing.
	Path string
	// Prune drops published files that are no longer desired; without it
	// they are carried over into every new tree.
	Prune bool
	// AllowEmpty lets Prune drop every file when the desired set is
	// empty; without it such an Apply is refused.
	AllowEmpty bool
	// DetectOnly computes what Apply would change and what drifted, and
	// changes nothing.
	DetectOnly bool
	// Keep is how many old trees are kept besides the live one; 0 means
	// DefaultKeep, a negative value keeps none.
	Keep int
	// Logger gets one line per published tree and per drift found.
	Logger *slog.Logger
}

// Publisher publishes desired sets into one directory. Its methods are
// safe for concurrent use; Applies run one at a time.
type Publisher struct {
	opts  Options
	trees string // <Path>/.trees
	log   *slog.Logger

	mu    sync.Mutex // serializes Apply and reads of the live tree
	cache *statCache // the live tree's hashes by stamp; guarded by mu
	// serials holds the serial of each tree name under .trees whose
	// inventory was read or written; guarded by mu.
	serials map[string]treeSerial
}

// treeSerial is a tree's serial, known for the folder with inode ino.
type treeSerial struct {
	ino, serial uint64
}

// Manifest is one file to publish.
type Manifest struct {
	// Path is relative to the tree, with forward slashes ("vpcs/vpc-1.yaml").
	Path string
	Body []byte
	// Key is the resource's identity, recorded in the tree's inventory.
	Key string
	// Hash is the hex sha256 of Body; it is computed when empty.
	Hash string
}

// Result says what an Apply did (or, with DetectOnly, would do). Every
// list holds tree-relative paths, sorted.
type Result struct {
	Created, Updated, Deleted, Unchanged []string
	// Drift lists the files of the live tree that are not as fgd last
	// published them: changed by hand, missing, or added.
	Drift []string
	// Revision is the revision Apply was given.
	Revision string
	// Published is the live tree's directory after Apply ("" when there
	// is none yet, with DetectOnly).
	Published string
	// Written counts the files whose bytes the new tree got written
	// (its inventory included); Linked the files hard-linked from the
	// previous tree because they are unchanged; LinkFailed the unchanged
	// files that could not be linked and were copied (counted in Written
	// too). All are 0 when no tree was published.
	Written, Linked, LinkFailed int
}

// Changed reports whether Apply changed (or would change) any file.
func (r Result) Changed() bool { return len(r.Created)+len(r.Updated)+len(r.Deleted) > 0 }

// ErrEmptyDesiredSet is the refusal to prune every published file because
// the desired set came out empty.
var ErrEmptyDesiredSet = errors.New("refusing to prune every resource: the desired set is empty (set allow_empty: true if this is intended)")

// New returns a Publisher for o.Path, creating the directory when missing.
func New(o Options) (*Publisher, error) {
	if o.Path == "" {
		return nil, errors.New("directory sink: path is empty: set the sink's path")
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("directory sink %s: %w", o.Path, err)
	}
	o.Path = abs
	if o.Keep == 0 {
		o.Keep = DefaultKeep
	}
	o.Keep = max(o.Keep, 0)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Publisher{opts: o, trees: filepath.Join(abs, treesDir), log: o.Logger.With("sink", "directory", "path", abs), cache: newStatCache(), serials: map[string]treeSerial{}}
	if err := os.MkdirAll(p.trees, 0o755); err != nil {
		return nil, fmt.Errorf("directory sink: create %s: %w (check that the fgd user may write to %s)", p.trees, err, abs)
	}
	if fi, err := os.Lstat(filepath.Join(abs, currentLink)); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return nil, fmt.Errorf("directory sink: %s exists and is not a symlink: move it away, fgd publishes %s as a symlink to the live tree",
			filepath.Join(abs, currentLink), currentLink)
	}
	return p, nil
}

// Apply publishes desired at revision: a new tree when anything changed,
// nothing when the live tree already holds exactly what it would publish.
// With DetectOnly it only reports. Drift found in the live tree is reported
// and, unless DetectOnly, repaired by the new tree.
func (p *Publisher) Apply(ctx context.Context, revision string, desired []Manifest) (Result, error) {
	return p.apply(ctx, revision, desired, nil)
}

// apply is Apply starting from seen, the live tree as an Observe just read
// it, when current still points to that tree: the reconciler observes a
// sink right before it applies, and a 5,000-file tree is not read twice.
// A file changed in between is no risk: a link to it is refused (link),
// and drift it makes is found by the next sync's Observe.
func (p *Publisher) apply(ctx context.Context, revision string, desired []Manifest, seen *liveTree) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()

	res := Result{Revision: revision}
	want, err := checkManifests(desired)
	if err != nil {
		return res, fmt.Errorf("directory sink %s: %w", p.opts.Path, err)
	}
	if !p.opts.DetectOnly {
		defer p.cache.endApply()
		p.removeTemps()
	}
	live := seen
	if live == nil || !p.stillLive(live) {
		if live, err = p.readLive(); err != nil {
			return res, err
		}
	}
	res.Published = live.dir
	res.Drift = live.drift()
	if len(res.Drift) > 0 {
		p.log.Warn("published tree drifted from what fgd wrote", "tree", live.dir, "files", len(res.Drift), "first", res.Drift[0])
	}
	if p.opts.Prune && len(want) == 0 && len(live.actualFiles()) > 0 && !p.opts.AllowEmpty {
		return res, fmt.Errorf("directory sink %s: %w", p.opts.Path, ErrEmptyDesiredSet)
	}

	next := p.plan(live, want, &res)
	if p.opts.DetectOnly || !live.needsTree(next) {
		p.log.Debug("nothing to publish", "revision", revision, "unchanged", len(res.Unchanged), "detect_only", p.opts.DetectOnly)
		return res, nil
	}
	dir, err := p.publish(ctx, live, revision, next, &res)
	if err != nil {
		return res, err
	}
	res.Published = dir
	p.log.Info("published tree", "revision", revision, "tree", filepath.Base(dir),
		"created", len(res.Created), "updated", len(res.Updated), "deleted", len(res.Deleted), "unchanged", len(res.Unchanged),
		"written", res.Written, "linked", res.Linked)
	p.collect(filepath.Base(dir))
	return res, nil
}

// plan decides the files of the next tree and fills in what changes,
// against the live tree's actual files.
func (p *Publisher) plan(live *liveTree, want map[string]*Manifest, res *Result) []*entry {
	actual := live.actualFiles()
	var next []*entry
	for path, m := range want {
		switch h, ok := actual[path]; {
		case !ok:
			res.Created = append(res.Created, path)
		case h != m.Hash:
			res.Updated = append(res.Updated, path)
		default:
			res.Unchanged = append(res.Unchanged, path)
		}
		next = append(next, &entry{Path: path, Key: m.Key, Hash: m.Hash, body: m.Body})
	}
	for path, h := range actual {
		if _, ok := want[path]; ok {
			continue
		}
		if p.opts.Prune {
			res.Deleted = append(res.Deleted, path)
			continue
		}
		// Carried over as it is now: its bytes are read when the tree is
		// written, and checked against this hash.
		e := &entry{Path: path, Hash: h, carried: true}
		if r, ok := live.recorded[path]; ok {
			e.Key = r.Key
		}
		next = append(next, e)
	}
	for _, l := range [][]string{res.Created, res.Updated, res.Deleted, res.Unchanged} {
		slices.Sort(l)
	}
	slices.SortFunc(next, func(a, b *entry) int { return strings.Compare(a.Path, b.Path) })
	return next
}

// checkManifests validates the desired set and indexes it by path, with
// every hash computed.
func checkManifests(desired []Manifest) (map[string]*Manifest, error) {
	want := make(map[string]*Manifest, len(desired))
	for i := range desired {
		m := desired[i]
		if err := checkPath(m.Path); err != nil {
			return nil, fmt.Errorf("manifest %d (%s): %w", i, m.Key, err)
		}
		if _, dup := want[m.Path]; dup {
			return nil, fmt.Errorf("manifest %d (%s): path %s is given twice: two resources must not share a file", i, m.Key, m.Path)
		}
		h := hashBytes(m.Body)
		if m.Hash != "" && m.Hash != h {
			return nil, fmt.Errorf("manifest %d (%s): hash %s is not the sha256 of its body (%s)", i, m.Key, m.Hash, h)
		}
		m.Hash = h
		want[m.Path] = &m
	}
	for path := range want {
		for dir := filepath.Dir(path); dir != "."; dir = filepath.Dir(dir) {
			if _, clash := want[dir]; clash {
				return nil, fmt.Errorf("path %s is a file and also the folder of %s", dir, path)
			}
		}
	}
	return want, nil
}

// checkPath accepts a clean, local, slash-separated path that does not
// name fgd's own files.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("path is empty")
	case !filepath.IsLocal(p) || filepath.Clean(p) != p || strings.Contains(p, `\`):
		return fmt.Errorf("path %q must be relative, clean and stay inside the tree", p)
	case p == inventoryFile:
		return fmt.Errorf("path %q is fgd's inventory file", p)
	}
	return nil
}
