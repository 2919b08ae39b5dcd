package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
)

// The sink's own names inside Path.
const (
	treesDir      = ".trees"
	currentLink   = "current"
	currentTmp    = "current.tmp"
	tempPrefix    = ".tmp-"
	inventoryFile = ".fgd-inventory.json"
	// maxFileSize bounds a file read back from a live tree: published
	// manifests are small, and a huge file is someone else's.
	maxFileSize = 64 << 20
)

// inventory is the .fgd-inventory.json of a tree: what fgd wrote into it.
type inventory struct {
	Version  int    `json:"version"`
	Revision string `json:"revision"`
	// Serial grows with every tree published at this path; garbage
	// collection keeps the newest.
	Serial uint64            `json:"serial"`
	Files  map[string]*entry `json:"files"`
}

// entry is one file of a tree.
type entry struct {
	Path string `json:"-"`
	Key  string `json:"key,omitempty"`
	Hash string `json:"hash"`

	body    []byte // what to write, for desired files
	carried bool   // copy from the live tree instead
}

// liveTree is what current points to: what fgd recorded writing, and what
// is there now.
type liveTree struct {
	dir      string // "" when nothing is published yet
	revision string
	serial   uint64
	recorded map[string]*entry // nil when the tree has no readable inventory
	actual   map[string]string // path → hash of every regular file
	ids      map[string]fileID // path → the file that was hashed, for linking
	odd      []string          // entries that are not regular files
}

// readLive reads the tree current points to.
func (p *Publisher) readLive() (*liveTree, error) {
	lt := &liveTree{actual: map[string]string{}, ids: map[string]fileID{}}
	target, err := os.Readlink(filepath.Join(p.opts.Path, currentLink))
	if errors.Is(err, fs.ErrNotExist) {
		return lt, nil
	}
	if err != nil {
		return nil, fmt.Errorf("directory sink: read the %s symlink in %s: %w", currentLink, p.opts.Path, err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(p.opts.Path, target)
	}
	if !exists(target) {
		// A dangling current (its tree removed by hand): publish anew.
		p.log.Warn("the current symlink points to a missing tree: publishing a new one", "target", target)
		return lt, nil
	}
	lt.dir = target
	inv, err := readInventory(target)
	p.cache.reads.Add(1)
	if err != nil {
		p.log.Warn("live tree has no readable inventory: every file counts as drift and a new tree is published", "tree", target, "err", err)
	} else {
		lt.revision, lt.serial, lt.recorded = inv.Revision, inv.Serial, inv.Files
	}
	full := p.cache.beginPass()
	err = filepath.WalkDir(target, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(target, path)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case d.IsDir():
			return nil
		case rel == inventoryFile:
			return nil
		case !d.Type().IsRegular():
			lt.odd = append(lt.odd, rel)
			return nil
		}
		return p.observeFile(lt, rel, d, full)
	})
	if err != nil {
		return nil, fmt.Errorf("directory sink: read the live tree %s: %w", target, err)
	}
	p.cache.retain(lt.actual)
	return lt, nil
}

// observeFile hashes the regular file rel of lt's tree into lt: from the
// stat cache when its stamp is the one the cache knows (and full is not
// set), else by reading it.
func (p *Publisher) observeFile(lt *liveTree, rel string, d fs.DirEntry, full bool) error {
	if fi, err := d.Info(); err == nil && !full {
		if h, ok := p.cache.lookup(rel, p.cache.stampOf(fi)); ok {
			lt.actual[rel] = h
			if id, ok := idOf(fi); ok {
				lt.ids[rel] = id
			}
			return nil
		}
	}
	// The stamp is the open file's, taken before reading, so a write at
	// any moment after leaves the cache behind, never ahead.
	b, fi, err := readTreeFile(lt.dir, rel)
	if err != nil {
		return err
	}
	p.cache.reads.Add(1)
	h := hashBytes(b)
	lt.actual[rel] = h
	p.cache.put(rel, p.cache.stampOf(fi), h)
	if id, ok := idOf(fi); ok {
		lt.ids[rel] = id
	}
	return nil
}

// stillLive reports whether current points to lt's tree (or, for an lt
// read when nothing was published, still to none).
func (p *Publisher) stillLive(lt *liveTree) bool {
	target, err := os.Readlink(filepath.Join(p.opts.Path, currentLink))
	if errors.Is(err, fs.ErrNotExist) {
		return lt.dir == ""
	}
	if err != nil || lt.dir == "" {
		return false
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(p.opts.Path, target)
	}
	return target == lt.dir
}

// actualFiles is what the live tree holds now: path → hash.
func (lt *liveTree) actualFiles() map[string]string { return lt.actual }

// drift lists, sorted, the files that are not as fgd recorded writing
// them: changed, missing, added, or not regular files.
func (lt *liveTree) drift() []string {
	if lt.dir == "" {
		return nil
	}
	var out []string
	for path, h := range lt.actual {
		if e, ok := lt.recorded[path]; !ok || e.Hash != h {
			out = append(out, path)
		}
	}
	for path := range lt.recorded {
		if _, ok := lt.actual[path]; !ok {
			out = append(out, path)
		}
	}
	out = append(out, lt.odd...)
	sortStrings(out)
	return out
}

// needsTree reports whether next differs from what the live tree holds and
// records.
func (lt *liveTree) needsTree(next []*entry) bool {
	if lt.dir == "" || lt.recorded == nil || len(lt.odd) > 0 {
		return true
	}
	if len(next) != len(lt.actual) || len(next) != len(lt.recorded) {
		return true
	}
	for _, e := range next {
		r, ok := lt.recorded[e.Path]
		if !ok || r.Hash != e.Hash || r.Key != e.Key || lt.actual[e.Path] != e.Hash {
			return true
		}
	}
	return false
}

// publish writes next as a new tree and makes it live; it returns the
// tree's directory. Files the live tree already holds are hard-linked from
// it, so a one-file change writes two files (it and the inventory).
func (p *Publisher) publish(ctx context.Context, live *liveTree, revision string, next []*entry, res *Result) (string, error) {
	inv := inventory{Version: 1, Revision: revision, Serial: live.serial + 1, Files: make(map[string]*entry, len(next))}
	for _, e := range next {
		inv.Files[e.Path] = e
	}
	tmp, err := os.MkdirTemp(p.trees, tempPrefix)
	if err != nil {
		return "", fmt.Errorf("directory sink: create a temp tree in %s: %w", p.trees, err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("directory sink: %w", err)
	}
	w := newTreeWriter(tmp)
	for _, e := range next {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("directory sink: publishing %s cancelled: %w", revision, err)
		}
		if err := p.place(w, live, e); err != nil {
			return "", err
		}
	}
	invBytes, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return "", fmt.Errorf("directory sink: encode the inventory: %w", err)
	}
	if err := w.write(inventoryFile, append(invBytes, '\n')); err != nil {
		return "", err
	}
	if err := w.sync(); err != nil {
		return "", err
	}
	res.Written, res.Linked, res.LinkFailed = w.count, w.linked, w.linkFailed
	if w.linkFailed > 0 {
		p.log.Warn("cannot hard-link unchanged files from the live tree: copied them instead", "files", w.linkFailed, "err", w.firstLinkErr)
	}

	name := p.treeName(live.dir, revision, next)
	final := filepath.Join(p.trees, name)
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("directory sink: rename %s to %s: %w", tmp, final, err)
	}
	committed = true
	if fi, err := os.Lstat(final); err == nil {
		p.serials[name] = treeSerial{ino: fgd.StampOf(fi).Ino, serial: inv.Serial}
	}
	if err := syncDir(p.trees); err != nil {
		return "", err
	}
	if err := p.swap(filepath.Join(treesDir, name)); err != nil {
		return "", err
	}
	return final, nil
}

// carry reads a file of the live tree that is carried over, and checks it
// is still what was planned.
func (p *Publisher) carry(liveDir string, e *entry) ([]byte, error) {
	src := filepath.Join(liveDir, filepath.FromSlash(e.Path))
	b, _, err := readTreeFile(liveDir, e.Path)
	if err != nil {
		return nil, fmt.Errorf("directory sink: carry %s over into the new tree: %w", src, err)
	}
	if hashBytes(b) != e.Hash {
		return nil, fmt.Errorf("directory sink: %s changed while fgd was publishing; the next sync will take it as it is then", src)
	}
	return b, nil
}

// treeName is "<revision>-<shorthash of the tree's files>", made unique when
// that name is the live tree (its files were changed by hand); an old tree
// of the same name is removed first.
// next is the tree's files, sorted by path as plan leaves them.
func (p *Publisher) treeName(liveDir, revision string, next []*entry) string {
	h := sha256.New()
	for _, e := range next {
		h.Write([]byte(e.Path))
		h.Write([]byte{0})
		h.Write([]byte(e.Hash))
		h.Write([]byte{0})
	}
	base := safeName(revision) + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	name := base
	for i := 2; ; i++ {
		path := filepath.Join(p.trees, name)
		if path == liveDir {
			name = fmt.Sprintf("%s.%d", base, i)
			continue
		}
		if exists(path) {
			if err := os.RemoveAll(path); err != nil {
				p.log.Warn("cannot remove an old tree of the same name; trying another name", "tree", path, "err", err)
				name = fmt.Sprintf("%s.%d", base, i)
				continue
			}
		}
		return name
	}
}

// swap points current at target (relative to Path) atomically: a new
// symlink renamed over the old one.
func (p *Publisher) swap(target string) error {
	tmp := filepath.Join(p.opts.Path, currentTmp)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory sink: remove the stale %s: %w", tmp, err)
	}
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("directory sink: create %s: %w", tmp, err)
	}
	cur := filepath.Join(p.opts.Path, currentLink)
	if err := os.Rename(tmp, cur); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("directory sink: swap %s to %s: %w (is %s a directory? move it away)", cur, target, err, cur)
	}
	return syncDir(p.opts.Path)
}

// readInventory reads a tree's .fgd-inventory.json.
func readInventory(dir string) (inventory, error) {
	var inv inventory
	b, _, err := readTreeFile(dir, inventoryFile)
	if err != nil {
		return inv, err
	}
	if err := json.Unmarshal(b, &inv); err != nil {
		return inv, fmt.Errorf("parse %s: %w", filepath.Join(dir, inventoryFile), err)
	}
	if inv.Files == nil {
		inv.Files = map[string]*entry{}
	}
	for path, e := range inv.Files {
		if e == nil {
			return inv, fmt.Errorf("%s: file %s has no entry", filepath.Join(dir, inventoryFile), path)
		}
		e.Path = path
	}
	return inv, nil
}

// readSerial reads only the serial of a tree's .fgd-inventory.json: the
// garbage collection orders the old trees by it, and decoding their whole
// inventories (a 5,000-file tree's is about a megabyte) cost more than the
// rest of the collection. The inventory fgd writes has the serial before
// the files, so the decoder stops after the first few hundred bytes; any
// other key before it is skipped whole.
func readSerial(dir string) (uint64, error) {
	path := filepath.Join(dir, inventoryFile)
	f, err := fgd.Open(dir, inventoryFile)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, maxFileSize))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, fmt.Errorf("parse %s: not a JSON object", path)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", path, err)
		}
		if key == "serial" {
			var serial uint64
			if err := dec.Decode(&serial); err != nil {
				return 0, fmt.Errorf("parse %s: serial: %w", path, err)
			}
			return serial, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, fmt.Errorf("parse %s: %w", path, err)
		}
	}
	return 0, fmt.Errorf("%s has no serial", path)
}

// readTreeFile reads the file at rel below a tree under fgd's rule for
// reading its own files (fgd.Open): no symlink at rel nor on the way to it,
// a regular file, bounded. It also returns the file's stat, taken from the
// open file before reading.
func readTreeFile(dir, rel string) ([]byte, os.FileInfo, error) {
	f, err := fgd.Open(dir, filepath.FromSlash(rel))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxFileSize {
		return nil, nil, fmt.Errorf("%s is larger than %d MiB", filepath.Join(dir, rel), maxFileSize>>20)
	}
	return b, fi, nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// safeName keeps a revision usable as part of a directory name.
func safeName(rev string) string {
	var b strings.Builder
	for _, r := range rev {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "rev"
	}
	return b.String()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
