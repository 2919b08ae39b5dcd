package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/disktest"
)

// On a full disk a line is cut short where the file's last block ends; the
// partial line is cut off, so once space returns the log is still one whole
// JSON entry per line, the next entry included.
func TestRecordOnAFullDiskLeavesNoHalfLine(t *testing.T) {
	dir := t.TempDir()
	disktest.Tmpfs(t, dir, 256, "the reliability package's disk-full test covers the audit log too")
	path := filepath.Join(dir, FileName)
	l, err := New(path, 0, DefaultKeep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entry := func(i int) Entry {
		return Entry{Actor: "fsnotify", Action: ActionSync, Fabric: "lab", Outcome: OutcomeFailed, Detail: "entry " + strconv.Itoa(i)}
	}
	// One entry gives the log its first block; then nothing is left.
	if err := l.Record(entry(0)); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	if err := disktest.Fill(filler, 0); err != nil {
		t.Fatal(err)
	}

	failed := 0
	for i := 1; i < 1000 && failed < 3; i++ {
		if err := l.Record(entry(i)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("record %d: %v, want ENOSPC", i, err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no record failed on a full disk")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	last := entry(9999)
	if err := l.Record(last); err != nil {
		t.Fatalf("record after space returned: %v", err)
	}
	lines := readLines(t, path) // fails on a partial or glued line
	if got := lines[len(lines)-1].Detail; got != last.Detail {
		t.Fatalf("last line is %q, want %q", got, last.Detail)
	}
}
