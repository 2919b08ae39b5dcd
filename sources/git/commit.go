package git

import (
	"context"
	"errors"
	"fmt"
	"github.com/fgdproject/fgd/internal/fgd"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit records the working tree below sub (every addition, modification
// and deletion there, and nothing outside it) as one commit on the branch,
// with Options.Author as author and committer and the clock's time. When the
// tree below sub is unchanged it makes no commit and returns the current head
// and false. Empty directories are not recorded (git cannot); nested .git
// directories are skipped; .gitignore is not consulted: fgd records every
// file it wrote.
func (w *Worktree) Commit(ctx context.Context, sub, message string) (plumbing.Hash, bool, error) {
	if err := w.check(); err != nil {
		return plumbing.ZeroHash, false, err
	}
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, false, err
	}
	dir, err := w.Path(sub)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	clean, _ := CleanPath(sub)
	if strings.TrimSpace(message) == "" {
		return plumbing.ZeroHash, false, errors.New("git: a commit needs a message")
	}
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil {
		return plumbing.ZeroHash, false, errors.New("git: Commit before Update: there is no clone")
	}
	head := r.ref(r.branchRef())
	parent, err := r.commit(head)
	if err != nil || parent == nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: the branch head %s is not in %s: %v", head, r.gitDir(), err)
	}
	root, err := parent.Tree()
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
	}

	var parts []string
	if clean != "." {
		parts = strings.Split(clean, "/")
	}
	old, err := subtree(r, root, parts)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit %s: %w", clean, err)
	}
	newSub, err := r.buildTree(dir, old)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit %s: %w", clean, err)
	}
	if old != nil && newSub == old.Hash {
		return head, false, nil // unchanged: no tree on the way up to rebuild
	}
	newRoot, err := r.replaceTree(root, parts, newSub)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit %s: %w", clean, err)
	}
	if newRoot == root.Hash {
		return head, false, nil
	}

	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	author := r.current().Author
	sig := object.Signature{Name: author.Name, Email: author.Email, When: r.now()}
	cm := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      message,
		TreeHash:     newRoot,
		ParentHashes: []plumbing.Hash{head},
	}
	if author.SigningKeyFile != "" {
		if err := sign(cm, author.SigningKeyFile); err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
		}
	}
	obj := r.repo.Storer.NewEncodedObject()
	if err := cm.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: write the commit in %s: %w", r.gitDir(), err)
	}
	if err := r.verifyOwn(h); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
	}
	if err := r.setRef(r.branchRef(), h); err != nil {
		return plumbing.ZeroHash, false, err
	}
	r.Seen(h)
	r.log.Info("committed", "path", clean, "revision", h.String())
	return h, true, nil
}

// subtree returns the tree at parts below t, or nil when there is none.
func subtree(r *Repo, t *object.Tree, parts []string) (*object.Tree, error) {
	for _, name := range parts {
		var next *object.Tree
		for _, e := range t.Entries {
			if e.Name == name && e.Mode == filemode.Dir {
				sub, err := r.repo.TreeObject(e.Hash)
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

// maxBlobBytes bounds a file of the working tree read into memory to be
// stored or compared; far above any FGD file, it only stops a runaway read.
const maxBlobBytes = 1 << 30

// buildTree stores the blobs and trees of the directory dir and returns its
// tree hash, or the zero hash when it holds no file. Submodules of old (the
// directory's tree in the parent commit) are kept; a .git is never recorded.
func (r *Repo) buildTree(dir string, old *object.Tree) (plumbing.Hash, error) {
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
		if strings.EqualFold(name, ".git") {
			continue
		}
		// fgd's own process state never goes into a commit: the FGD's lock
		// file (its content is the holder's PID) and crash leftovers.
		if (name == "lock" && filepath.Base(dir) == ".hnp") || strings.HasPrefix(name, fgd.TempPrefix) {
			continue
		}
		p := filepath.Join(dir, name)
		oe, hadOld := oldEntries[name]
		if hadOld && oe.Mode == filemode.Submodule {
			entries = append(entries, oe)
			continue
		}
		switch t := d.Type(); {
		case t.IsDir():
			var oldSub *object.Tree
			if hadOld && oe.Mode == filemode.Dir {
				if oldSub, err = r.repo.TreeObject(oe.Hash); err != nil {
					return plumbing.ZeroHash, err
				}
			}
			h, err := r.buildTree(p, oldSub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !h.IsZero() {
				entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
			}
		case t&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			h, err := r.storeBlob([]byte(target), oe, hadOld)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Symlink, Hash: h})
		case t.IsRegular():
			// The file itself must not have turned into a symlink or FIFO
			// since it was listed; the folders on the way were walked here.
			data, err := fgd.ReadRegular(p, maxBlobBytes)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			fi, err := d.Info()
			if err != nil {
				return plumbing.ZeroHash, err
			}
			mode := filemode.Regular
			if fi.Mode()&0o100 != 0 {
				mode = filemode.Executable
			}
			h, err := r.storeBlob(data, oe, hadOld)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if hadOld && oe.Hash == h && oe.Mode == filemode.Deprecated && mode == filemode.Regular {
				mode = oe.Mode // an old group-writable mode, unchanged file: not a change
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
		}
		// Sockets, pipes and devices are not recorded, as by git.
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
	return r.storeTreeUnless(entries, oldHash)
}

func hasEntry(entries []object.TreeEntry, name string) bool {
	for _, e := range entries {
		if e.Name == name {
			return true
		}
	}
	return false
}

// replaceTree returns the hash of t with the tree at parts replaced by sub
// (removed when sub is zero), storing the trees on the way up.
func (r *Repo) replaceTree(t *object.Tree, parts []string, sub plumbing.Hash) (plumbing.Hash, error) {
	if len(parts) == 0 {
		if sub.IsZero() {
			return r.storeTree(nil)
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
			c, err := r.repo.TreeObject(e.Hash)
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
		if h, err = r.replaceTree(child, parts[1:], sub); err != nil {
			return plumbing.ZeroHash, err
		}
		if h.String() == emptyTreeHash {
			h = plumbing.ZeroHash
		}
	}
	if !h.IsZero() {
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	return r.storeTree(entries)
}

// emptyTreeHash is the hash of the tree with no entries.
const emptyTreeHash = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// storeTree sorts entries as git does and stores the tree.
func (r *Repo) storeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	return r.storeTreeUnless(entries, plumbing.ZeroHash)
}

// storeTreeUnless is storeTree for a tree the clone has as have: an
// unchanged directory is not looked up in the object store (go-git's
// lookup of an object costs a scan of the clone's objects).
func (r *Repo) storeTreeUnless(entries []object.TreeEntry, have plumbing.Hash) (plumbing.Hash, error) {
	sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
	t := &object.Tree{Entries: entries}
	obj := r.repo.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	if obj.Hash() == have {
		return have, nil
	}
	if r.repo.Storer.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	return r.repo.Storer.SetEncodedObject(obj)
}

// treeKey is the name git sorts a tree entry by: directories as if their
// name ended in "/".
func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// storeBlob stores data as a blob unless the clone has it already. A file
// whose content hashes to its entry old in the parent commit's tree (when
// hadOld) is not looked up at all: the parent's blobs are in the clone, and
// go-git's lookup of an object in a fresh clone costs a scan of its objects
// (and missed packed blobs, so every file was written again as a loose
// object). That keeps a commit's cost to the files it changes.
func (r *Repo) storeBlob(data []byte, old object.TreeEntry, hadOld bool) (plumbing.Hash, error) {
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	if hadOld && old.Hash == h && old.Mode.IsFile() {
		return h, nil
	}
	if r.repo.Storer.HasEncodedObject(h) == nil {
		return h, nil
	}
	obj := r.repo.Storer.NewEncodedObject()
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
	return r.repo.Storer.SetEncodedObject(obj)
}
