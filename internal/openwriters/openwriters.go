// Package openwriters tells which files some process holds open for
// writing, from /proc. fgd takes a file from raw/ only once its writer has
// closed it: a writer that pauses mid-file (`cat > raw/x.yaml` typed by
// hand, a tool that writes one document at a time) must not have the rest of
// its file go to an inode fgd already removed.
//
// The scan sees only the processes whose /proc/<pid>/fd fgd may read: those
// of its own user, or every process when it runs as root or with
// CAP_SYS_PTRACE. Writers of other users are invisible to it; for them only
// the check that a file did not change between its read and its removal
// (see internal/ingest) and write-then-rename remain.
package openwriters

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Writer is one process that holds a file open for writing.
type Writer struct {
	PID     int
	Command string // /proc/<pid>/comm; empty when it could not be read
}

// String names the process for logs and reports: "vi (pid 4242)".
func (w Writer) String() string {
	if w.Command == "" {
		return "pid " + strconv.Itoa(w.PID)
	}
	return w.Command + " (pid " + strconv.Itoa(w.PID) + ")"
}

// fileID is a file's identity, whatever names it has.
type fileID struct{ dev, ino uint64 }

// proc is where procfs is mounted.
const proc = "/proc"

// Of returns, for each of paths that is a regular file held open for
// writing by a process the scan may inspect, one such process. Paths that
// are missing or not regular files are left out. It scans /proc once,
// whatever the number of paths; without a readable /proc (not Linux, a
// sandbox without it) it returns no writers and no error: the caller's
// other checks still hold.
func Of(paths []string) (map[string]Writer, error) {
	want := make(map[fileID]string, len(paths))
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if id, ok := idOf(fi); ok {
			want[id] = p
		}
	}
	out := map[string]Writer{}
	if len(want) == 0 {
		return out, nil
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return out, nil
		}
		return out, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		scanProcess(pid, want, out)
		if len(out) == len(want) {
			break
		}
	}
	return out, nil
}

// scanProcess records in out the wanted files that process pid holds open
// for writing. A process that ended or that fgd may not inspect is skipped.
func scanProcess(pid int, want map[fileID]string, out map[string]Writer) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return
	}
	for _, fd := range fds {
		fi, err := os.Stat(filepath.Join(dir, "fd", fd.Name()))
		if err != nil {
			continue
		}
		id, ok := idOf(fi)
		if !ok {
			continue
		}
		p, wanted := want[id]
		if !wanted {
			continue
		}
		if _, found := out[p]; found || !openForWriting(filepath.Join(dir, "fdinfo", fd.Name())) {
			continue
		}
		out[p] = Writer{PID: pid, Command: command(dir)}
	}
}

// openForWriting reads an fdinfo file and reports whether its access mode
// is O_WRONLY or O_RDWR. An fdinfo that cannot be read counts as a writer:
// the fd is open on the file, and waiting is the safe side.
func openForWriting(fdinfo string) bool {
	b, err := os.ReadFile(fdinfo)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		v, ok := bytes.CutPrefix(line, []byte("flags:"))
		if !ok {
			continue
		}
		flags, err := strconv.ParseUint(strings.TrimSpace(string(v)), 8, 64)
		if err != nil {
			return true
		}
		mode := flags & syscall.O_ACCMODE
		return mode == syscall.O_WRONLY || mode == syscall.O_RDWR
	}
	return true
}

func command(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, true
}
