// Package gitwrite writes fgd's commits into a git object store and pushes
// them: the tree of a commit is its parent's tree with the FGD's directory
// rebuilt from the working tree (only changed blobs and trees are stored),
// the commit is signed when a key is given, and a push is a compare-and-swap
// of the remote branch that never forces. It knows nothing of clones,
// polling or verification, which stay with the git source (sources/git):
// what it writes depends only on the parent commit, the working tree and
// the author, so a fresh clone and a long-lived one write the same bytes.
package gitwrite

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Author is who writes a commit, as author and committer, and when.
type Author struct {
	Name, Email string
	When        time.Time
	// SigningKeyFile, when set, holds the OpenPGP or ssh private key that
	// signs the commit (see Sign).
	SigningKeyFile string
}

// Change is one commit to write: the directory Dir of the working tree,
// which is Path in the repository, recorded on top of Parent.
type Change struct {
	Parent *object.Commit
	// Path is the directory's path in the repository: cleaned,
	// slash-separated, "." for the root.
	Path string
	// Dir is the directory in the working tree.
	Dir     string
	Message string
	Author  Author
	// Stat, when set, knows the blob hashes of files whose stat did not
	// change since they were last hashed or checked out: those are not
	// read again, so a commit costs the files it changes (see StatCache).
	Stat StatCache
}

// StatCache is a clone's cache of its working tree's blob hashes by file
// stat, as git's index is: Lookup returns the hash recorded for the file
// at p when fi (its Lstat) still matches what was recorded, and Record is
// told the hash of every file Commit had to read.
type StatCache interface {
	Lookup(p string, fi os.FileInfo) (plumbing.Hash, bool)
	Record(p string, fi os.FileInfo, h plumbing.Hash)
}

// Commit records c.Dir (every addition, modification and deletion there,
// and nothing outside it) as a commit on c.Parent and stores it in s. When
// the tree is unchanged it stores nothing and returns the parent's hash and
// false. Empty directories are not recorded (git cannot); nested .git
// directories and fgd's lock and temporary files are skipped; .gitignore is
// not consulted: fgd records every file it wrote.
func Commit(s storer.EncodedObjectStorer, c Change) (plumbing.Hash, bool, error) {
	if strings.TrimSpace(c.Message) == "" {
		return plumbing.ZeroHash, false, errors.New("git: a commit needs a message")
	}
	if c.Parent == nil {
		return plumbing.ZeroHash, false, errors.New("git: a commit needs a parent")
	}
	tree, changed, err := newRoot(trees{s, c.Stat}, c.Parent, c.Path, c.Dir)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit %s: %w", c.Path, err)
	}
	if !changed {
		return c.Parent.Hash, false, nil
	}
	msg := c.Message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	sig := object.Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When}
	cm := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      msg,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{c.Parent.Hash},
	}
	if c.Author.SigningKeyFile != "" {
		if err := Sign(cm, c.Author.SigningKeyFile); err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
		}
	}
	obj := s.NewEncodedObject()
	if err := cm.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: write the commit: %w", err)
	}
	return h, true, nil
}

// newRoot returns the root tree of parent with the tree at sub rebuilt
// from dir, and whether it differs from the parent's.
func newRoot(w trees, parent *object.Commit, sub, dir string) (plumbing.Hash, bool, error) {
	root, err := object.GetTree(w.s, parent.TreeHash)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	var parts []string
	if sub != "." {
		parts = strings.Split(sub, "/")
	}
	old, err := w.subtree(root, parts)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	newSub, err := w.build(dir, old)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if old != nil && newSub == old.Hash {
		return root.Hash, false, nil // unchanged: no tree on the way up to rebuild
	}
	newRoot, err := w.replace(root, parts, newSub)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	return newRoot, newRoot != root.Hash, nil
}
