package fgd

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// WriteFileAtomic makes path hold data, crash-safely: a temp file in the same
// folder, written, fsynced, renamed over path, then the folder fsynced. When
// path already holds exactly data nothing is written and wrote is false.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (wrote bool, err error) {
	b := NewBatch()
	defer b.Abort()
	wrote, err = b.Write(path, data, perm)
	if err != nil || !wrote {
		return wrote, err
	}
	return true, b.Commit()
}

// Batch stages many files and makes them visible together: Commit makes
// every staged temp file durable, renames them into place in the order they
// were staged, then fsyncs each folder once. A crash before Commit leaves
// only temp files (removed by CleanTemp); a crash during it leaves a prefix
// of the renames done, each file whole.
type Batch struct {
	staged []staged
	// fault, when set (by this package's tests only), is asked before each
	// file operation: op is "create", "write", "fsync", "syncfs", "rename"
	// or "symlink", path the file (the temp file, or for "rename" the
	// target). A non-nil answer makes the operation fail with it, the way
	// a full disk fails it; a failing "write" first writes half its bytes,
	// as a short write does.
	fault func(op, path string) error
}

type staged struct {
	tmp, path string
	file      *os.File // open until Commit, for the per-file fsync
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{} }

// Len is the number of staged files.
func (b *Batch) Len() int { return len(b.staged) }

// Write stages data for path, unless path already holds exactly data (then
// wrote is false and nothing is staged).
func (b *Batch) Write(path string, data []byte, perm os.FileMode) (wrote bool, err error) {
	same, err := holds(path, data)
	if err != nil || same {
		return false, err
	}
	f, err := b.temp(path, perm)
	if err != nil {
		return false, err
	}
	if _, err := b.out(f).Write(data); err != nil {
		b.drop()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}

// File is one file for WriteMany.
type File struct {
	Path string
	Data []byte
	Perm os.FileMode
}

// WriteMany stages files like Write, creating the temp files with up to
// workers goroutines (file creation is most of the cost of writing many
// small files), and keeps them in the order given, so Commit still renames
// them in that order. It returns how many were staged.
func (b *Batch) WriteMany(files []File, workers int) (int, error) {
	parts := make([]*Batch, max(1, min(workers, len(files))))
	errs := make([]error, len(parts))
	slot := make([]int, len(files)) // which part staged file i, or -1
	var wg sync.WaitGroup
	for w := range parts {
		parts[w] = &Batch{fault: b.fault}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(files); i += len(parts) {
				slot[i] = -1
				if errs[w] != nil {
					continue
				}
				wrote, err := parts[w].Write(files[i].Path, files[i].Data, files[i].Perm)
				if err != nil {
					errs[w] = err
				} else if wrote {
					slot[i] = w
				}
			}
		}()
	}
	wg.Wait()
	next := make([]int, len(parts))
	n := 0
	for i := range files {
		if w := slot[i]; w >= 0 {
			b.staged = append(b.staged, parts[w].staged[next[w]])
			next[w]++
			n++
		}
	}
	// Each failure names its file; which goroutine met it is of no use to
	// the operator.
	for _, err := range errs {
		if err != nil {
			return n, fmt.Errorf("stage files: %w", err)
		}
	}
	return n, nil
}

// Copy stages a copy of the regular file src at path, streaming it, and
// fails when the bytes copied do not hash to want (src changed since it was
// examined). It never follows a symlink at src.
func (b *Batch) Copy(path, src string, want [sha256.Size]byte, perm os.FileMode) error {
	in, err := OpenRegular(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := b.temp(path, perm)
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(b.out(f), h), in); err != nil {
		b.drop()
		return fmt.Errorf("copy %s to %s: %w", src, path, err)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		b.drop()
		return fmt.Errorf("copy %s: the file changed while fgd was handling it; it is left in place for the next run", src)
	}
	return nil
}

// Symlink stages a symlink at path pointing to target (the link itself is
// stored; its target is never read).
func (b *Batch) Symlink(path, target string) error {
	dir := filepath.Dir(path)
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, fmt.Sprintf("%s%d-%d", TempPrefix, os.Getpid(), i))
		err := b.inject("symlink", tmp)
		if err == nil {
			err = os.Symlink(target, tmp)
		}
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("stage symlink %s: %w", path, err)
		}
		b.staged = append(b.staged, staged{tmp: tmp, path: path})
		return nil
	}
}

// temp creates the temp file for path, with perm less the umask (one
// syscall fewer than os.CreateTemp plus a chmod; it counts with many files).
func (b *Batch) temp(path string, perm os.FileMode) (*os.File, error) {
	dir := filepath.Dir(path)
	for {
		tmp := filepath.Join(dir, TempPrefix+strconv.FormatUint(rand.Uint64(), 36))
		var f *os.File
		err := b.inject("create", tmp)
		if err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, perm)
		}
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", path, err)
		}
		b.staged = append(b.staged, staged{tmp: tmp, path: path, file: f})
		return f, nil
	}
}

// inject returns the fault of op on path, or nil.
func (b *Batch) inject(op, path string) error {
	if b.fault == nil {
		return nil
	}
	return b.fault(op, path)
}

// out is where a staged temp file's bytes go: the file, or the file behind
// the batch's fault.
func (b *Batch) out(f *os.File) io.Writer {
	if b.fault == nil {
		return f
	}
	return faultWriter{f: f, fault: b.fault}
}

// faultWriter writes to f unless the fault says the write fails; then it
// writes half of it first, as a write that runs out of space does.
type faultWriter struct {
	f     *os.File
	fault func(op, path string) error
}

func (w faultWriter) Write(p []byte) (int, error) {
	if err := w.fault("write", w.f.Name()); err != nil {
		n, _ := w.f.Write(p[:len(p)/2])
		return n, err
	}
	return w.f.Write(p)
}

// drop unstages the last staged file after a failure.
func (b *Batch) drop() {
	s := b.staged[len(b.staged)-1]
	b.staged = b.staged[:len(b.staged)-1]
	if s.file != nil {
		s.file.Close()
	}
	os.Remove(s.tmp)
}

// syncfsThreshold is the number of staged files above which one syncfs(2)
// of the whole filesystem is cheaper than an fsync per file.
const syncfsThreshold = 16

// Commit makes the staged files durable and visible, in staging order.
func (b *Batch) Commit() error {
	if len(b.staged) == 0 {
		return nil
	}
	if err := b.syncData(); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for i, s := range b.staged {
		err := b.inject("rename", s.path)
		if err == nil {
			err = os.Rename(s.tmp, s.path)
		}
		if err != nil {
			b.staged = b.staged[i:]
			return fmt.Errorf("rename %s to %s: %w", s.tmp, s.path, err)
		}
		dirs[filepath.Dir(s.path)] = true
	}
	b.staged = nil
	return SyncDirs(dirs)
}

func (b *Batch) syncData() error {
	useSyncfs := len(b.staged) > syncfsThreshold
	for _, s := range b.staged {
		if s.file == nil {
			continue
		}
		// The errors name the file being written (the wrapped one names
		// its temp file): a full disk may show only here, at the flush.
		if useSyncfs {
			if err := s.file.Close(); err != nil {
				return fmt.Errorf("write %s: close: %w", s.path, err)
			}
			continue
		}
		err := b.inject("fsync", s.tmp)
		if err == nil {
			err = s.file.Sync()
		}
		if err != nil {
			return fmt.Errorf("write %s: fsync: %w", s.path, err)
		}
		if err := s.file.Close(); err != nil {
			return fmt.Errorf("write %s: close: %w", s.path, err)
		}
	}
	for i := range b.staged {
		b.staged[i].file = nil
	}
	if !useSyncfs {
		return nil
	}
	d, err := os.Open(filepath.Dir(b.staged[0].path))
	if err != nil {
		return fmt.Errorf("syncfs: %w", err)
	}
	defer d.Close()
	err = b.inject("syncfs", d.Name())
	if err == nil {
		err = unix.Syncfs(int(d.Fd()))
	}
	if err != nil {
		return fmt.Errorf("syncfs %s: %w", d.Name(), err)
	}
	return nil
}

// Abort removes the temp files of a batch that was not committed; it is a
// no-op after Commit.
func (b *Batch) Abort() {
	for _, s := range b.staged {
		if s.file != nil {
			s.file.Close()
		}
		os.Remove(s.tmp)
	}
	b.staged = nil
}

// SyncDirs fsyncs each folder, in sorted order, so renames and removals in
// them survive a power loss.
func SyncDirs(dirs map[string]bool) error {
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		f, err := os.Open(d)
		if err != nil {
			return fmt.Errorf("fsync folder %s: %w", d, err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("fsync folder %s: %w", d, err)
		}
	}
	return nil
}

// holds reports whether path is a regular file holding exactly data.
func holds(path string, data []byte) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("examine %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false, nil
	}
	old, err := ReadRegular(path, int64(len(data)))
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrSymlink) || errors.Is(err, ErrNotRegular) {
		// It changed since the Lstat: it does not hold data.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return bytes.Equal(old, data), nil
}

// OpenRegular opens path for reading without following a symlink and without
// blocking on a FIFO, and fails unless it is a regular file: a symlink or
// special file is refused before it is opened, with an *UnsafeFileError.
// The folders on the way are not checked; Open checks them below a root.
func OpenRegular(path string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := checkMode(path, st.Mode); err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, &UnsafeFileError{Path: path, Reason: ErrSymlink}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if err := checkMode(path, st.Mode); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// tempDirs are the folders fgd writes temp files in.
func tempDirs() []string {
	out := []string{".", HNPDir, ArchiveDir, ArchiveLogDir, UnmanagedDir, ManagedDir}
	for _, d := range Dirs() {
		if filepath.Dir(d) == ManagedDir {
			out = append(out, d)
		}
	}
	return out
}

// CleanTemp removes the temp files a crashed run left in the folders fgd
// writes to (never in raw/ or anywhere users put files), and reports each.
func CleanTemp(root string) ([]Repair, error) {
	return cleanTemp(root, false)
}

func cleanTemp(root string, dry bool) ([]Repair, error) {
	var out []Repair
	for _, d := range tempDirs() {
		dir := filepath.Join(root, d)
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
			continue
		}
		f, err := os.Open(dir)
		if err != nil {
			return out, fmt.Errorf("list %s: %w", dir, err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return out, fmt.Errorf("list %s: %w", dir, err)
		}
		sort.Strings(names)
		for _, n := range names {
			if !IsTemp(n) {
				continue
			}
			rel := filepath.ToSlash(filepath.Join(d, n))
			if !dry {
				if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return out, fmt.Errorf("remove temp file %s: %w", rel, err)
				}
			}
			out = append(out, Repair{Path: rel, Action: "remove temp file left by an interrupted run"})
		}
	}
	return out, nil
}
