package fgd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fgdproject/fgd/internal/resource"
)

// The one rule for reading an FGD (and state_dir): a file is read only when
// it is a regular file reached from the root without passing through any
// symlink, and only up to a size limit. Anything else is refused with an
// *UnsafeFileError; what happens to the refused thing is the caller's
// decision (moved aside, reported), never a read of it.

// Reasons an *UnsafeFileError gives; test them with errors.Is.
var (
	// ErrSymlink: the file, or a folder on the way to it, is a symlink.
	ErrSymlink = errors.New("is a symlink, which fgd never follows")
	// ErrNotRegular: the file is a FIFO, socket, device or folder.
	ErrNotRegular = errors.New("is not a regular file")
	// ErrTooLarge: the file is over the limit of its kind.
	ErrTooLarge = errors.New("is over the size limit")
)

// Read limits of the files fgd reads.
const (
	// MaxInputBytes bounds a YAML file fgd parses (raw/, managed/, the
	// sidecars of unmanaged/): the limit of resource.Limits.
	MaxInputBytes = resource.DefaultMaxFileBytes
	// MaxSmallFileBytes bounds fgd's own small files: the manifest,
	// .hnp/.gitignore, the lock.
	MaxSmallFileBytes = 1 << 20
	// MaxArchiveLogBytes bounds .hnp/archive-log.yaml, which grows by one
	// record per ingested original.
	MaxArchiveLogBytes = 64 << 20
	// MaxStateFileBytes bounds the files of state_dir fgd reads back (sink
	// inventories hold the body of every applied resource).
	MaxStateFileBytes = 256 << 20
)

// UnsafeFileError says why fgd refused to read a file and what it was.
type UnsafeFileError struct {
	// Path is the refused file (or the symlinked folder on its way).
	Path string
	// Reason is ErrSymlink, ErrNotRegular or ErrTooLarge.
	Reason error
	// Detail adds what was found: the file type, the size and the limit.
	Detail string
}

// Error names the file, what it is, and that fgd did not read it.
func (e *UnsafeFileError) Error() string {
	msg := e.Path + " " + e.Reason.Error()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg + "; fgd did not read it"
}

// Unwrap returns the reason, for errors.Is.
func (e *UnsafeFileError) Unwrap() error { return e.Reason }

// ReadFile reads the file at rel below root under the rule above: no
// symlink at rel nor on the way to it, a regular file, at most limit bytes.
// A missing file is an error satisfying errors.Is(err, os.ErrNotExist).
func ReadFile(root, rel string, limit int64) ([]byte, error) {
	f, err := Open(root, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

// ReadRegular is ReadFile for a file known by its absolute path alone, when
// the folders on the way are not the FGD's (a git clone fgd walked itself):
// only the file itself must not be a symlink.
func ReadRegular(p string, limit int64) ([]byte, error) {
	f, err := OpenRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

func readLimited(f *os.File, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, tooLarge(f.Name(), fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(f.Name(), int64(len(data)), limit)
	}
	return data, nil
}

func tooLarge(p string, size, limit int64) *UnsafeFileError {
	return &UnsafeFileError{Path: p, Reason: ErrTooLarge, Detail: fmt.Sprintf("%d bytes or more, the limit is %d", size, limit)}
}

// Open opens the file at rel below root for reading under the rule above
// (the size limit aside): every folder from root down is opened with
// O_NOFOLLOW relative to the one before (openat), so neither the file nor
// any folder on the way may be a symlink, even one swapped in meanwhile;
// the file is checked to be regular before it is opened, opened without
// blocking (a FIFO swapped in cannot hang it), and checked again after.
// root itself may be a symlink: it comes from the configuration.
func Open(root, rel string) (*os.File, error) {
	parts, err := splitRel(rel)
	if err != nil {
		return nil, err
	}
	dfd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	at := root
	for _, dir := range parts[:len(parts)-1] {
		at = filepath.Join(at, dir)
		next, err := unix.Openat(dfd, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			err = classify(dfd, dir, at, err)
		}
		unix.Close(dfd)
		if err != nil {
			return nil, err
		}
		dfd = next
	}
	defer unix.Close(dfd)
	leaf := parts[len(parts)-1]
	p := filepath.Join(at, leaf)
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, leaf, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	if err := checkMode(p, st.Mode); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(dfd, leaf, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, classify(dfd, leaf, p, err)
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if err := checkMode(p, st.Mode); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

// splitRel checks that rel stays below the root and splits it.
func splitRel(rel string) ([]string, error) {
	clean := path.Clean(filepath.ToSlash(rel))
	if clean == "." || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("fgd: %q is not a path below the FGD", rel)
	}
	return strings.Split(clean, "/"), nil
}

// classify turns a failed openat of name in dfd into the error to report:
// a symlink found there is an *UnsafeFileError, anything else the error.
func classify(dfd int, name, p string, err error) error {
	var st unix.Stat_t
	if serr := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil {
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return &UnsafeFileError{Path: p, Reason: ErrSymlink}
		}
		if errors.Is(err, unix.ENOTDIR) {
			return &UnsafeFileError{Path: p, Reason: ErrNotRegular, Detail: "expected a folder, found a " + typeName(st.Mode)}
		}
	}
	return &os.PathError{Op: "open", Path: p, Err: err}
}

func checkMode(p string, mode uint32) error {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFLNK:
		return &UnsafeFileError{Path: p, Reason: ErrSymlink}
	}
	return &UnsafeFileError{Path: p, Reason: ErrNotRegular, Detail: "a " + typeName(mode)}
}

func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "folder"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "special file"
}
