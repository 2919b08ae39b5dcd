package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/disktest"
)

// A file bound for unmanaged/ that does not fit on a full disk fails the
// whole run with ENOSPC (the reconciler turns that into a stalled sync with
// a remediation), instead of being reported as one file that could not be
// moved: every later write would fail the same way. The original stays in
// raw/, nothing half-written is left, and once space returns the next run
// finishes the job.
func TestUnmanagedCopyOnAFullDiskFailsTheRun(t *testing.T) {
	root := t.TempDir()
	disktest.Tmpfs(t, root, 512, "the reliability package's disk-full test covers ingestion on a full disk too")
	run(t, root, Options{}) // lays out the FGD while there is room

	// A Gateway is no fabric kind: the file goes whole to unmanaged/. Big
	// enough that it cannot fit in what a directory entry leaves over.
	gw := []byte("apiVersion: gateway.githedgehog.com/v1alpha1\nkind: Gateway\nmetadata:\n  name: gw-1\n  annotations:\n    note: \"" +
		strings.Repeat("x", 64<<10) + "\"\nspec: {}\n")
	write(t, filepath.Join(root, "raw/gw.yaml"), gw)
	filler := filepath.Join(root, "filler")
	if err := disktest.Fill(filler, 0); err != nil {
		t.Fatal(err)
	}
	before := tree(t, root)

	rep, err := Run(context.Background(), root, registry(t), Options{Fabric: "test", Now: fixedNow})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run on a full disk: err = %v (report %s), want ENOSPC", err, dump(rep))
	}
	if !strings.Contains(err.Error(), filepath.Join(root, "unmanaged")) {
		t.Errorf("the error does not name where it was writing: %v", err)
	}
	if after := tree(t, root); diffTrees(before, after) != "" {
		t.Fatalf("a failed run changed the FGD:\n%s", diffTrees(before, after))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	rep = run(t, root, Options{})
	if rep.Unmanaged != 1 {
		t.Fatalf("after space returned: %d unmanaged, want 1: %s", rep.Unmanaged, dump(rep))
	}
	if got, err := os.ReadFile(filepath.Join(root, "unmanaged/gw.yaml")); err != nil || string(got) != string(gw) {
		t.Fatalf("unmanaged/gw.yaml is not the original (%d bytes, %v)", len(got), err)
	}
	if _, err := os.Stat(filepath.Join(root, "raw/gw.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("raw/gw.yaml is still there once it was moved: %v", err)
	}
}
