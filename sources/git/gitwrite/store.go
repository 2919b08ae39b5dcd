package gitwrite

import (
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// replace returns the hash of t with the tree at parts replaced by sub
// (removed when sub is zero), storing the trees on the way up.
func (w trees) replace(t *object.Tree, parts []string, sub plumbing.Hash) (plumbing.Hash, error) {
	if len(parts) == 0 {
		if sub.IsZero() {
			return w.storeTree(nil)
		}
		return sub, nil
	}
	name := parts[0]
	var entries []object.TreeEntry
	var child *object.Tree
	for _, e := range t.Entries {
		if e.Name != name {
			entries = append(entries, e)
			continue
		}
		if e.Mode == filemode.Dir {
			c, err := object.GetTree(w.s, e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			child = c
		}
		// A file (or submodule) where the FGD's directory is: the
		// directory replaces it, as the working tree has it.
	}
	h := sub
	if len(parts) > 1 {
		if child == nil {
			child = &object.Tree{}
		}
		var err error
		if h, err = w.replace(child, parts[1:], sub); err != nil {
			return plumbing.ZeroHash, err
		}
		if h.String() == emptyTreeHash {
			h = plumbing.ZeroHash
		}
	}
	if !h.IsZero() {
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	return w.storeTree(entries)
}

// storeTree sorts entries as git does and stores the tree.
func (w trees) storeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	return w.storeTreeUnless(entries, plumbing.ZeroHash)
}

// storeTreeUnless is storeTree for a tree the store has as have: an
// unchanged directory is not looked up in the object store (go-git's
// lookup of an object costs a scan of the clone's objects).
func (w trees) storeTreeUnless(entries []object.TreeEntry, have plumbing.Hash) (plumbing.Hash, error) {
	sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
	t := &object.Tree{Entries: entries}
	obj := w.s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	if obj.Hash() == have {
		return have, nil
	}
	if w.s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	return w.s.SetEncodedObject(obj)
}

// treeKey is the name git sorts a tree entry by: directories as if their
// name ended in "/".
func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// storeBlob stores data as a blob unless the store has it already. A file
// whose content hashes to its entry old in the parent commit's tree (when
// hadOld) is not looked up at all: the parent's blobs are in the clone, and
// go-git's lookup of an object in a fresh clone costs a scan of its objects
// (and missed packed blobs, so every file was written again as a loose
// object). That keeps a commit's cost to the files it changes.
func (w trees) storeBlob(data []byte, old object.TreeEntry, hadOld bool) (plumbing.Hash, error) {
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	if hadOld && old.Hash == h && old.Mode.IsFile() {
		return h, nil
	}
	if w.s.HasEncodedObject(h) == nil {
		return h, nil
	}
	obj := w.s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	wr, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.s.SetEncodedObject(obj)
}
