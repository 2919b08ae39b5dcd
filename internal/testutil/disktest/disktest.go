// Package disktest gives tests a small filesystem to fill: a tmpfs mounted
// for the test, and a writer that leaves it with no byte (or a chosen
// number of bytes) free.
package disktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of sizeKiB at dir for the rest of the test, or skips
// the test saying why (mounting needs root, or CAP_SYS_ADMIN) and naming
// the test that covers the same ground elsewhere.
func Tmpfs(tb testing.TB, dir string, sizeKiB int, coveredBy string) {
	tb.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dk,mode=0755", sizeKiB), "fgd-test-full", dir).CombinedOutput()
	if err != nil {
		tb.Skipf("needs a small filesystem to fill, and mount -t tmpfs failed here (%v: %s); %s", err, out, coveredBy)
	}
	tb.Cleanup(func() {
		if exec.Command("umount", dir).Run() != nil {
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}

// Fill writes path until not one more byte fits on its filesystem (in
// large writes, then page-sized, then single bytes), then gives back
// reserve bytes of it. Any error other than ENOSPC is returned.
func Fill(path string, reserve int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for _, size := range []int{64 << 10, 4096, 1} {
		for {
			w, err := f.Write(buf[:size])
			n += int64(w)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				return fmt.Errorf("fill %s: %w", path, err)
			}
		}
	}
	if reserve > 0 {
		return f.Truncate(max(n-reserve, 0))
	}
	return nil
}
