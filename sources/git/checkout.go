package git

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/fgdproject/fgd/internal/fgd"
)

// entry is a file of a commit's tree: a blob (regular, executable or
// symbolic link) or a submodule.
type entry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// checkout makes the working tree hold exactly the tree of commit h: files
// that differ are rewritten, files and directories the tree does not have
// are removed (untracked and ignored ones too), .git is left alone. Only what
// differs is written, so a working tree that is already at h costs one read
// of each file, and less: a file whose stat the clone's stat cache knows
// unchanged since it was last hashed or written is not read (a local edit
// changes the stat, and is reset). Callers hold r.mu.
func (r *Repo) checkout(h plumbing.Hash) error {
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return fmt.Errorf("git: checkout %s in %s: %w", h, r.o.Dir, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("git: checkout %s in %s: %w", h, r.o.Dir, err)
	}
	want := map[string]entry{}
	dirs := map[string]bool{}
	if err := r.listTree(tree, "", want, dirs); err != nil {
		return fmt.Errorf("git: checkout %s in %s: %w", h, r.o.Dir, err)
	}
	r.prune(want)
	defer r.stat.stamp(r.gitDir())
	if err := r.removeStale(want, dirs); err != nil {
		return fmt.Errorf("git: checkout %s in %s: %w", h, r.o.Dir, err)
	}
	if err := r.writeEntries(want); err != nil {
		return fmt.Errorf("git: checkout %s in %s: %w", h, r.o.Dir, err)
	}
	return nil
}

// listTree records the files of t below prefix in files and its
// directories in dirs.
func (r *Repo) listTree(t *object.Tree, prefix string, files map[string]entry, dirs map[string]bool) error {
	for _, e := range t.Entries {
		p := path.Join(prefix, e.Name)
		if !safeName(e.Name) {
			return fmt.Errorf("the tree has an unsafe name %q below %q", e.Name, prefix)
		}
		switch e.Mode {
		case filemode.Dir:
			dirs[p] = true
			sub, err := r.repo.TreeObject(e.Hash)
			if err != nil {
				return fmt.Errorf("tree %s: %w", p, err)
			}
			if err := r.listTree(sub, p, files, dirs); err != nil {
				return err
			}
		case filemode.Submodule:
			// Kept as an empty directory, like git without --recurse-submodules.
			dirs[p] = true
			files[p] = entry{e.Hash, e.Mode}
		case filemode.Regular, filemode.Deprecated, filemode.Executable, filemode.Symlink:
			files[p] = entry{e.Hash, e.Mode}
		default:
			return fmt.Errorf("%s has the unsupported mode %s", p, e.Mode)
		}
	}
	return nil
}

// safeName refuses tree entry names that would escape the working tree or
// write into .git; git itself refuses them too.
func safeName(name string) bool {
	switch {
	case name == "", name == ".", name == "..":
		return false
	case len(name) == 4 && (name[0] == '.') && (name[1]|0x20) == 'g' && (name[2]|0x20) == 'i' && (name[3]|0x20) == 't':
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return false
		}
	}
	return true
}

// removeStale walks the working tree, removes what the tree does not have
// or has differently, and drops from want the files already right.
func (r *Repo) removeStale(want map[string]entry, dirs map[string]bool) error {
	root := r.o.Dir
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if p == root {
			return nil
		}
		rel := filepath.ToSlash(p[len(root)+1:])
		if rel == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if dirs[rel] {
				if e, ok := want[rel]; ok && e.mode == filemode.Submodule {
					delete(want, rel)
					return filepath.SkipDir
				}
				return nil
			}
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		e, ok := want[rel]
		if ok {
			same, err := r.sameFile(p, d, e)
			if err != nil {
				return err
			}
			if same {
				delete(want, rel)
				return nil
			}
		}
		r.stat.forget(p)
		return os.Remove(p)
	})
}

// prune drops the stat cache's entries of files the tree to check out does
// not have, once they are many: removed files leave theirs behind.
func (r *Repo) prune(want map[string]entry) {
	c := r.stat
	if len(c.entries) <= len(want)+1024 {
		return
	}
	for p := range c.entries {
		rel, err := filepath.Rel(r.o.Dir, p)
		if _, ok := want[filepath.ToSlash(rel)]; err != nil || !ok {
			delete(c.entries, p)
		}
	}
}

// sameFile reports whether the file at p is the tree entry e.
func (r *Repo) sameFile(p string, d fs.DirEntry, e entry) (bool, error) {
	var data []byte
	switch {
	case e.mode == filemode.Symlink && d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return false, err
		}
		data = []byte(target)
	case e.mode != filemode.Symlink && d.Type().IsRegular():
		fi, err := d.Info()
		if err != nil {
			return false, err
		}
		if (fi.Mode()&0o100 != 0) != (e.mode == filemode.Executable) {
			return false, nil
		}
		if h, ok := r.stat.Lookup(p, fi); ok {
			return h == e.hash, nil
		}
		if data, err = fgd.ReadRegular(p, maxBlobBytes); err != nil {
			return false, err
		}
		h := plumbing.ComputeHash(plumbing.BlobObject, data)
		r.stat.Record(p, fi, h)
		return h == e.hash, nil
	default:
		return false, nil
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data) == e.hash, nil
}

// writeEntries writes the files of want, in path order.
func (r *Repo) writeEntries(want map[string]entry) error {
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	made := map[string]bool{"": true, ".": true}
	var buf bytes.Buffer
	for _, p := range paths {
		e := want[p]
		full := filepath.Join(r.o.Dir, filepath.FromSlash(p))
		if e.mode == filemode.Submodule {
			if err := os.MkdirAll(full, 0o755); err != nil {
				return err
			}
			continue
		}
		if parent := path.Dir(p); !made[parent] {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			made[parent] = true
		}
		buf.Reset()
		if err := r.readBlob(e.hash, &buf); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		var err error
		switch e.mode {
		case filemode.Symlink:
			err = os.Symlink(buf.String(), full)
		case filemode.Executable:
			err = os.WriteFile(full, buf.Bytes(), 0o755)
		default:
			err = os.WriteFile(full, buf.Bytes(), 0o644)
		}
		if err != nil {
			return err
		}
		if e.mode != filemode.Symlink {
			r.stat.wrote(full, e.hash)
		}
	}
	return nil
}

func (r *Repo) readBlob(h plumbing.Hash, w io.Writer) error {
	obj, err := r.repo.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	defer rd.Close()
	_, err = io.Copy(w, rd)
	return err
}
