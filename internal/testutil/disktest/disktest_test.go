package disktest

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Fill leaves the filesystem with no byte free; with a reserve, exactly
// that much room (to the page) comes back.
func TestFill(t *testing.T) {
	dir := t.TempDir()
	Tmpfs(t, dir, 256, "no other test covers this helper")
	filler := filepath.Join(dir, "filler")
	if err := Fill(filler, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one"), []byte("x"), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("a one-byte file on the filled tmpfs: %v, want ENOSPC", err)
	}
	if err := Fill(filler, 8192); err != nil {
		t.Fatal(err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if free := int64(st.Bavail) * st.Bsize; free < 8192 || free > 8192+int64(st.Bsize) {
		t.Fatalf("%d bytes free after Fill with an 8192-byte reserve", free)
	}
	if err := Fill(filepath.Join(dir, "no-such-dir", "filler"), 0); err == nil {
		t.Fatal("Fill into a missing directory did not fail")
	}
}
