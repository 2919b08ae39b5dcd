package directory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// fileID is what identifies one version of a live tree's file: a hard
// link to it shares the inode, so the same device, inode, size and mtime
// after linking prove the link holds the bytes that were hashed.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    int64 // ns
}

func idOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}, true
}

// errLinkedChanged is a live file that changed between reading the live
// tree and linking it.
var errLinkedChanged = errors.New("the file changed while fgd was publishing")

// link makes rel in the new tree a hard link to src, a live tree's file
// whose bytes are known to be what the new tree wants as long as it is
// still the file want identifies. Sharing the inode is safe because fgd
// never writes into a published file: every file is created with O_EXCL
// in a fresh temp tree, so a later change is always a new inode.
// It returns the link's stat: the inode's, with the change time the link
// gave it.
func (w *treeWriter) link(rel, src string, want fileID) (os.FileInfo, error) {
	path := filepath.Join(w.root, filepath.FromSlash(rel))
	if err := w.mkdirs(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := linkFile(src, path); err != nil {
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err == nil {
		if id, ok := idOf(fi); ok && id == want && fi.Mode().IsRegular() {
			w.linked++
			return fi, nil
		}
		err = errLinkedChanged
	}
	if rerr := os.Remove(path); rerr != nil {
		return nil, fmt.Errorf("directory sink: remove %s: %w", path, rerr)
	}
	return nil, err
}

// place puts e into the new tree: a hard link to the live tree's file
// when that file already holds e's bytes, else a newly written file.
func (p *Publisher) place(w *treeWriter, live *liveTree, e *entry) error {
	if id, ok := live.ids[e.Path]; ok && live.actual[e.Path] == e.Hash {
		src := filepath.Join(live.dir, filepath.FromSlash(e.Path))
		fi, err := w.link(e.Path, src, id)
		if err == nil {
			// The link moved the inode's change time: the cache learns
			// its new stamp, so the next read of the tree does not read
			// the file again.
			p.cache.putLinked(e.Path, p.cache.stampOf(fi), e.Hash)
			return nil
		}
		if !errors.Is(err, errLinkedChanged) {
			// link(2) fails across file systems (EXDEV), past the link
			// limit (EMLINK) or where hard links are not supported
			// (EPERM, ENOTSUP): the file is copied instead, and counted.
			w.linkFailed++
			if w.firstLinkErr == nil {
				w.firstLinkErr = err
			}
		}
	}
	body := e.body
	if e.carried {
		var err error
		if body, err = p.carry(live.dir, e); err != nil {
			return err
		}
	}
	return w.write(e.Path, body)
}

// linkFile is os.Link; a test replaces it to see the copy fallback.
var linkFile = os.Link
