package dir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
)

// Top-level folders of an FGD that only fgd writes (SPEC §1). Events below
// them are fgd's own output; reacting to them would make every sync cause the
// next one.
var ownFolders = map[string]bool{
	fgd.ManagedDir:   true,
	fgd.UnmanagedDir: true,
	fgd.HNPDir:       true,
}

// excluded reports whether rel (a path relative to the FGD root, "/"- or
// OS-separated) lies in a place whose changes never concern the watcher: fgd's
// own folders, and any dotfile or dot-folder at any depth (.git above all).
func excluded(rel string) bool {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if ownFolders[parts[0]] {
		return true
	}
	for _, p := range parts {
		if strings.HasPrefix(p, ".") {
			return true
		}
	}
	return false
}

// isWork reports whether a file (regular or symlink) at rel, which must not be
// excluded, is something fgd ingests: anything directly in raw/, or a YAML
// file anywhere else (the extension in any case, as the ingestion reads it).
func isWork(rel string) bool {
	rel = filepath.ToSlash(rel)
	if dir, _ := filepath.Split(rel); dir == fgd.RawDir+"/" {
		return true
	}
	switch strings.ToLower(filepath.Ext(rel)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// isTempName reports whether a file name looks like an editor's or tool's
// temporary file, written before being renamed over the real name. Such names
// do not trigger by themselves: the rename that follows does. A temp file left
// behind in raw/ is still work, found by the periodic rescan.
func isTempName(name string) bool {
	return strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") ||
		strings.HasSuffix(name, ".tmp")
}

// fileLike reports whether a directory entry type is one fgd ingests: a
// regular file or a symlink (symlinks are judged, never followed, by the
// ingestion).
func fileLike(t fs.FileMode) bool {
	return t.IsRegular() || t&fs.ModeSymlink != 0
}

// scanResult is what a walk over the FGD found.
type scanResult struct {
	work    bool  // some file is work for ingestion
	rootErr error // the FGD root itself could not be read or watched: nothing below it is known
	subErr  error // the first directory below the root that could not be read or watched
}

// walk visits the directory at rel below the FGD root ("." for the root
// itself) and every non-excluded directory below it, without following
// symlinks (the root itself may be one). When watch is not nil it is called
// for each directory before that directory is read, so a file created after
// the read is reported by the new watch and one created before it is found by
// the read. When stopAtWork is set the walk ends at the first piece of work;
// otherwise it visits every directory (to add every watch). Directories that
// vanish during the walk are not errors: their parent's watch reports that.
func walk(root, rel string, watch func(dir string) error, stopAtWork bool) scanResult {
	var res scanResult
	type item struct{ abs, rel string }
	stack := []item{{abs: filepath.Join(root, rel), rel: rel}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		isRoot := it.rel == "."

		// fail records err and says whether the directory is still worth reading.
		fail := func(err error) bool {
			switch {
			case isRoot:
				res.rootErr = err
				return false
			case errors.Is(err, fs.ErrNotExist):
				return false
			case res.subErr == nil:
				res.subErr = err
			}
			return true
		}
		if watch != nil {
			if err := watch(it.abs); err != nil && !fail(err) {
				if isRoot {
					return res
				}
				continue
			}
			// A directory that cannot be watched is still read: the rescan
			// covers what its missing watch will not report.
		}
		entries, err := os.ReadDir(it.abs)
		if err != nil {
			fail(err)
			if isRoot {
				return res
			}
			continue
		}
		for _, e := range entries {
			childRel := e.Name()
			if !isRoot {
				childRel = filepath.Join(it.rel, e.Name())
			}
			if excluded(childRel) {
				continue
			}
			switch {
			case e.IsDir():
				stack = append(stack, item{abs: filepath.Join(it.abs, e.Name()), rel: childRel})
			case fileLike(e.Type()) && isWork(childRel):
				res.work = true
				if stopAtWork {
					return res
				}
			}
		}
	}
	return res
}
