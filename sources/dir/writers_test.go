package dir

import (
	"os"
	"path/filepath"
	"testing"
)

// A file written in place triggers only once its writer has closed it,
// however long the writer pauses with it open; a file renamed into raw/
// triggers at once, even while another one is still held.
func TestWriterHoldingFileIsWaitedFor(t *testing.T) {
	h := startHarness(t, harnessConfig{})
	n := h.count()

	f, err := os.Create(filepath.Join(h.root, "raw", "typed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("kind: VPC\n---\n"); err != nil {
		t.Fatal(err)
	}
	h.assertNoTriggerSince(n)

	tmp := filepath.Join(h.root, "renamed.tmp")
	mustWrite(t, tmp, "kind: VPC\n")
	if err := os.Rename(tmp, filepath.Join(h.root, "raw", "renamed.yaml")); err != nil {
		t.Fatal(err)
	}
	h.waitReasonAfter(n, ReasonChange)
	n = h.count()

	if _, err := f.WriteString("kind: VPC\n"); err != nil {
		t.Fatal(err)
	}
	h.assertNoTriggerSince(n)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h.waitReasonAfter(n, ReasonChange)
}
