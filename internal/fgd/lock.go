package fgd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lockRetry is how often a waiting Acquire tries the lock again.
const lockRetry = 20 * time.Millisecond

// Lock is a held flock(2) on an FGD's .hnp/lock: one writer per FGD at a
// time, across processes and across goroutines of one process (each Acquire
// opens the file anew, and flock locks belong to the open file). The kernel
// releases it when the process dies.
type Lock struct {
	f *os.File
	// Waited is how long Acquire waited for another holder.
	Waited time.Duration
	// WaitedFor is the PID of the holder Acquire waited for, or 0.
	WaitedFor int
}

// LockedError is returned when the lock stayed held until the timeout.
type LockedError struct {
	Root   string
	PID    int
	Waited time.Duration
	Shared bool
}

// Error names the holder and the fix.
func (e *LockedError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("fgd: %s is locked by another fgd (%s); waited %s — stop that process or raise --lock-timeout", e.Root, pid, e.Waited.Round(time.Millisecond))
}

// Acquire takes the exclusive writer lock of the FGD at root, creating .hnp/
// and .hnp/lock when missing, and writes this process's PID into the file.
// While another holds it, Acquire retries until timeout or ctx ends.
func Acquire(ctx context.Context, root string, timeout time.Duration) (*Lock, error) {
	hnp := filepath.Join(root, HNPDir)
	if err := displaceOdd(root); err != nil {
		return nil, err
	}
	if err := os.Mkdir(hnp, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("fgd: create %s for the lock: %w", hnp, err)
	}
	if fi, err := os.Lstat(hnp); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("fgd: %s must be a folder (it holds the lock, manifest and archive); move that file away", hnp)
	}
	path := filepath.Join(root, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("fgd: open lock %s: %w (it must be a regular file writable by fgd)", path, err)
	}
	l, err := waitLock(ctx, f, root, unix.LOCK_EX, timeout)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("fgd: write pid to %s: %w", path, err)
	}
	return l, nil
}

// displaceOdd moves what stands where fgd needs the folder .hnp or its lock
// file (a symlink, a FIFO, a file committed there) to unmanaged/ with a
// sidecar, so the lock can be taken; a link is moved, never followed. It
// makes sure unmanaged/ is a real folder first, as Ensure does.
func displaceOdd(root string) error {
	hnp, err := os.Lstat(filepath.Join(root, HNPDir))
	hnpOdd := err == nil && !hnp.IsDir()
	lock, err := os.Lstat(filepath.Join(root, LockFile))
	lockOdd := !hnpOdd && err == nil && !lock.Mode().IsRegular()
	if !hnpOdd && !lockOdd {
		return nil
	}
	e := &ensurer{root: root, created: map[string]bool{}}
	if err := e.dir(UnmanagedDir); err != nil {
		return err
	}
	if hnpOdd {
		return e.moveAside(HNPDir, fmt.Sprintf("a %s stood where the FGD layout needs the folder %s", kindOf(hnp), HNPDir))
	}
	return e.moveAside(LockFile, fmt.Sprintf("a %s stood where fgd keeps its lock file", kindOf(lock)))
}

// AcquireShared takes a shared lock on an existing .hnp/lock, read-only, so
// a dry run sees no half-done ingestion; it creates nothing. When the FGD
// has no lock file it returns a nil *Lock (Release on it is a no-op).
func AcquireShared(ctx context.Context, root string, timeout time.Duration) (*Lock, error) {
	path := filepath.Join(root, LockFile)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fgd: open lock %s: %w", path, err)
	}
	return waitLock(ctx, f, root, unix.LOCK_SH, timeout)
}

func waitLock(ctx context.Context, f *os.File, root string, how int, timeout time.Duration) (*Lock, error) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(lockRetry)
	defer tick.Stop()
	holder, contended := 0, false
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			l := &Lock{f: f}
			if contended {
				l.Waited, l.WaitedFor = time.Since(start), holder
			}
			return l, nil
		}
		contended = true
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("fgd: lock %s: %w", f.Name(), err)
		}
		if pid := HolderPID(root); pid > 0 {
			holder = pid
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("fgd: waiting for the lock of %s: %w", root, ctx.Err())
		case <-deadline.C:
			f.Close()
			return nil, &LockedError{Root: root, PID: holder, Waited: time.Since(start), Shared: how == unix.LOCK_SH}
		case <-tick.C:
		}
	}
}

// HolderPID reads the PID the current (or last) holder wrote into the lock
// file of root, or 0.
func HolderPID(root string) int {
	b, err := ReadFile(root, LockFile, maxPIDBytes)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// maxPIDBytes bounds the read of the lock file: a PID and a newline.
const maxPIDBytes = 64

// Release gives the lock up. The PID is left in the file: a waiter reads it
// only while the lock is held, and clearing it would be a write a later
// holder redoes anyway. Release on a nil *Lock does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
