package directory

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fgdproject/fgd/internal/fgd"
)

// noFollow makes an open fail on a symlink instead of following it.
const noFollow = syscall.O_NOFOLLOW

// syncfsThreshold is the number of files above which one syncfs(2) of the
// tree's filesystem is cheaper than an fsync per file and folder.
const syncfsThreshold = 16

// treeWriter writes the files of a new tree below root and makes them
// durable on sync.
type treeWriter struct {
	root  string
	dirs  map[string]bool // created folders, root included
	open  []*os.File      // written files awaiting their fsync
	count int             // files written

	linked, linkFailed int   // files hard-linked; links that failed (copied)
	firstLinkErr       error // why the first failed link failed
}

func newTreeWriter(root string) *treeWriter {
	return &treeWriter{root: root, dirs: map[string]bool{root: true}}
}

// write creates the file rel (slash-separated) holding b.
func (w *treeWriter) write(rel string, b []byte) error {
	path := filepath.Join(w.root, filepath.FromSlash(rel))
	if err := w.mkdirs(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("directory sink: create %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("directory sink: write %s: %w", path, err)
	}
	w.count++
	if w.count <= syncfsThreshold {
		w.open = append(w.open, f)
		return nil
	}
	// Past the threshold one syncfs will do: close the files held so far.
	for _, o := range w.open {
		o.Close()
	}
	w.open = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("directory sink: close %s: %w", path, err)
	}
	return nil
}

func (w *treeWriter) mkdirs(dir string) error {
	if w.dirs[dir] {
		return nil
	}
	if err := w.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("directory sink: create folder %s: %w", dir, err)
	}
	w.dirs[dir] = true
	return nil
}

// sync makes every file and folder written durable.
func (w *treeWriter) sync() error {
	if w.count > syncfsThreshold {
		d, err := os.Open(w.root)
		if err != nil {
			return fmt.Errorf("directory sink: open %s: %w", w.root, err)
		}
		defer d.Close()
		if err := unix.Syncfs(int(d.Fd())); err != nil {
			return fmt.Errorf("directory sink: syncfs %s: %w", w.root, err)
		}
		return nil
	}
	for _, f := range w.open {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("directory sink: fsync %s: %w", f.Name(), err)
		}
	}
	w.open = nil
	for dir := range w.dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a folder, making the renames and creations in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("directory sink: open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("directory sink: fsync folder %s: %w", dir, err)
	}
	return nil
}

// collect removes old trees beyond Keep, never the live one.
func (p *Publisher) collect(live string) {
	ents, err := os.ReadDir(p.trees)
	if err != nil {
		p.log.Warn("cannot list old trees to remove them", "dir", p.trees, "err", err)
		return
	}
	type old struct {
		name   string
		serial uint64
	}
	var olds []old
	for _, e := range ents {
		if e.Name() == live || strings.HasPrefix(e.Name(), tempPrefix) || !e.IsDir() {
			continue
		}
		olds = append(olds, old{e.Name(), p.serialOf(e)})
	}
	slices.SortFunc(olds, func(a, b old) int {
		if c := cmp.Compare(b.serial, a.serial); c != 0 {
			return c
		}
		return strings.Compare(b.name, a.name)
	})
	for i, o := range olds {
		if i < p.opts.Keep {
			continue
		}
		path := filepath.Join(p.trees, o.name)
		if err := os.RemoveAll(path); err != nil {
			p.log.Warn("cannot remove an old tree", "tree", path, "err", err)
			continue
		}
		delete(p.serials, o.name)
		p.log.Debug("removed old tree", "tree", o.name)
	}
}

// serialOf is the serial of the tree d, read from its inventory (only
// that, see readSerial) the first time it is asked and remembered with the folder's inode: fgd never
// writes into a published tree, so a publish does not read the
// inventories of the trees it keeps. An unreadable inventory is serial 0,
// removed first.
func (p *Publisher) serialOf(d fs.DirEntry) uint64 {
	var ino uint64
	if fi, err := d.Info(); err == nil {
		ino = fgd.StampOf(fi).Ino
	}
	if s, ok := p.serials[d.Name()]; ok && s.ino == ino && ino != 0 {
		return s.serial
	}
	serial, _ := readSerial(filepath.Join(p.trees, d.Name()))
	p.cache.reads.Add(1)
	p.serials[d.Name()] = treeSerial{ino: ino, serial: serial}
	return serial
}

// removeTemps removes what a crashed or failed Apply left behind.
func (p *Publisher) removeTemps() {
	ents, err := os.ReadDir(p.trees)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.RemoveAll(filepath.Join(p.trees, e.Name())); err != nil {
				p.log.Warn("cannot remove a leftover temp tree", "dir", e.Name(), "err", err)
			}
		}
	}
	os.Remove(filepath.Join(p.opts.Path, currentTmp))
}

func sortStrings(s []string) { sort.Strings(s) }
