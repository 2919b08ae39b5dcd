package gitwrite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/fgdproject/fgd/internal/fgd"
)

// MaxBlobBytes bounds a file of the working tree read into memory to be
// stored or compared; far above any FGD file, it only stops a runaway read.
const MaxBlobBytes = 1 << 30

// emptyTreeHash is the hash of the tree with no entries.
const emptyTreeHash = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// trees builds and stores the trees of a commit in an object store; stat,
// when not nil, spares reading the files it knows unchanged.
type trees struct {
	s    storer.EncodedObjectStorer
	stat StatCache
}

// subtree returns the tree at parts below t, or nil when there is none.
func (w trees) subtree(t *object.Tree, parts []string) (*object.Tree, error) {
	for _, name := range parts {
		var next *object.Tree
		for _, e := range t.Entries {
			if e.Name == name && e.Mode == filemode.Dir {
				sub, err := object.GetTree(w.s, e.Hash)
				if err != nil {
					return nil, err
				}
				next = sub
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		t = next
	}
	return t, nil
}

// build stores the blobs and trees of the directory dir and returns its
// tree hash, or the zero hash when it holds no file. Submodules of old (the
// directory's tree in the parent commit) are kept; a .git is never recorded.
func (w trees) build(dir string, old *object.Tree) (plumbing.Hash, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	oldEntries := map[string]object.TreeEntry{}
	if old != nil {
		for _, e := range old.Entries {
			oldEntries[e.Name] = e
		}
	}
	var entries []object.TreeEntry
	for _, d := range des {
		name := d.Name()
		if skipped(dir, name) {
			continue
		}
		oe, hadOld := oldEntries[name]
		e, ok, err := w.entry(filepath.Join(dir, name), d, oe, hadOld)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if ok {
			entries = append(entries, e)
		}
	}
	// Submodules whose directory is gone are kept too: fgd never removes them.
	for name, oe := range oldEntries {
		if oe.Mode == filemode.Submodule && !hasEntry(entries, name) {
			entries = append(entries, oe)
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	oldHash := plumbing.ZeroHash
	if old != nil {
		oldHash = old.Hash
	}
	return w.storeTreeUnless(entries, oldHash)
}

// skipped tells what of a directory is never recorded: .git, and fgd's own
// process state (the FGD's lock file, whose content is the holder's PID,
// and crash leftovers).
func skipped(dir, name string) bool {
	return strings.EqualFold(name, ".git") ||
		name == "lock" && filepath.Base(dir) == ".hnp" || strings.HasPrefix(name, fgd.TempPrefix)
}

// entry returns the tree entry of the working tree's p (d as listed, oe its
// entry in the parent's tree when hadOld), storing what it holds; ok is
// false for what is not recorded: an empty directory, and sockets, pipes
// and devices, as by git.
func (w trees) entry(p string, d os.DirEntry, oe object.TreeEntry, hadOld bool) (e object.TreeEntry, ok bool, err error) {
	name := d.Name()
	if hadOld && oe.Mode == filemode.Submodule {
		return oe, true, nil
	}
	switch t := d.Type(); {
	case t.IsDir():
		var oldSub *object.Tree
		if hadOld && oe.Mode == filemode.Dir {
			if oldSub, err = object.GetTree(w.s, oe.Hash); err != nil {
				return e, false, err
			}
		}
		h, err := w.build(p, oldSub)
		return object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}, !h.IsZero(), err
	case t&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return e, false, err
		}
		h, err := w.storeBlob([]byte(target), oe, hadOld)
		return object.TreeEntry{Name: name, Mode: filemode.Symlink, Hash: h}, err == nil, err
	case t.IsRegular():
		fi, err := d.Info()
		if err != nil {
			return e, false, err
		}
		mode := filemode.Regular
		if fi.Mode()&0o100 != 0 {
			mode = filemode.Executable
		}
		h, err := w.fileBlob(p, fi, oe, hadOld)
		if hadOld && oe.Hash == h && oe.Mode == filemode.Deprecated && mode == filemode.Regular {
			mode = oe.Mode // an old group-writable mode, unchanged file: not a change
		}
		return object.TreeEntry{Name: name, Mode: mode, Hash: h}, err == nil, err
	}
	return e, false, nil
}

// fileBlob returns the blob hash of the regular file p (fi its Lstat, taken
// before the read: a write after it changes the stat and is seen next
// time), storing the blob unless the parent has it. A file the stat cache
// knows as the parent's blob is not read at all.
func (w trees) fileBlob(p string, fi os.FileInfo, oe object.TreeEntry, hadOld bool) (plumbing.Hash, error) {
	if w.stat != nil && hadOld && oe.Mode.IsFile() {
		if h, ok := w.stat.Lookup(p, fi); ok && h == oe.Hash {
			return h, nil
		}
	}
	// The file itself must not have turned into a symlink or FIFO since
	// it was listed; the folders on the way were walked here.
	data, err := fgd.ReadRegular(p, MaxBlobBytes)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := w.storeBlob(data, oe, hadOld)
	if err == nil && w.stat != nil {
		w.stat.Record(p, fi, h)
	}
	return h, err
}

func hasEntry(entries []object.TreeEntry, name string) bool {
	for _, e := range entries {
		if e.Name == name {
			return true
		}
	}
	return false
}
