package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// archived returns the contents of every file in .hnp/archive/.
func archived(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, name := range files(t, filepath.Join(root, ".hnp", "archive")) {
		b, err := os.ReadFile(filepath.Join(root, ".hnp", "archive", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func deferredCode(rep *Report, rel string) string {
	for _, d := range rep.Deferred {
		if d.Path == rel {
			return d.Code
		}
	}
	return ""
}

// A rewrite in place after the read that keeps the size and puts the
// modification time back (as `touch -r` or a careful tool would) is still
// a change: the original is kept, the archive holds exactly the bytes that
// were ingested, and the next run ingests the newer content.
func TestFileRewrittenSameSizeAfterReadIsKept(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc.yaml")
	first := vpcNamed("vpc-1")
	write(t, raw, first)
	fi, err := os.Stat(raw)
	if err != nil {
		t.Fatal(err)
	}

	rep := run(t, root, Options{beforeRemove: func() {
		if err := os.WriteFile(raw, vpcNamed("vpc-2"), 0o644); err != nil {
			t.Error(err)
		}
		if err := os.Chtimes(raw, fi.ModTime(), fi.ModTime()); err != nil {
			t.Error(err)
		}
	}})
	if got := deferredCode(rep, "raw/vpc.yaml"); got != DeferChanged {
		t.Fatalf("deferred = %+v, want raw/vpc.yaml with code %q", rep.Deferred, DeferChanged)
	}
	if got := archived(t, root); len(got) != 1 || got[0] != string(first) {
		t.Fatalf("archive = %q, want exactly the bytes ingested (vpc-1)", got)
	}
	run(t, root, Options{})
	if _, err := os.Stat(filepath.Join(root, "managed/vpcs/vpc-2.yaml")); err != nil {
		t.Fatalf("the newer content was not ingested by the next run: %v", err)
	}
	if _, err := os.Lstat(raw); err == nil {
		t.Fatal("raw/vpc.yaml stranded after the second run")
	}
}

// A file that a process holds open for writing is not taken, whatever its
// age; once the writer closed it, the next run takes all of it.
func TestFileHeldOpenForWritingIsNotTaken(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc.yaml")
	write(t, raw, nil)
	f, err := os.OpenFile(raw, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(string(vpcNamed("vpc-1")) + "---\n"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // long settled, as after a long pause
	if err := os.Chtimes(raw, old, old); err != nil {
		t.Fatal(err)
	}

	rep := run(t, root, Options{Settle: time.Second})
	if got := deferredCode(rep, "raw/vpc.yaml"); got != DeferOpenForWriting {
		t.Fatalf("deferred = %+v, want raw/vpc.yaml with code %q", rep.Deferred, DeferOpenForWriting)
	}
	if !strings.Contains(rep.Deferred[0].Reason, "pid") {
		t.Errorf("reason %q does not name the writer", rep.Deferred[0].Reason)
	}
	if len(rep.Files) != 0 || len(archived(t, root)) != 0 {
		t.Fatalf("a held file was taken: files %+v", rep.Files)
	}

	if _, err := f.WriteString(string(vpcNamed("vpc-2"))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rep = run(t, root, Options{})
	if rep.Created != 2 || len(rep.Deferred) != 0 {
		t.Fatalf("after close: created %d, deferred %+v; want both VPCs", rep.Created, rep.Deferred)
	}
}

// A writer that opens the file after the run read it, before the original
// is removed, keeps it in place: what it writes next is not lost.
func TestFileOpenedForWritingBeforeRemovalIsKept(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc.yaml")
	first := string(vpcNamed("vpc-1")) + "---\n"
	write(t, raw, []byte(first))
	var w *os.File
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	rep := run(t, root, Options{beforeRemove: func() {
		var err error
		if w, err = os.OpenFile(raw, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			t.Error(err)
		}
	}})
	if got := deferredCode(rep, "raw/vpc.yaml"); got != DeferOpenForWriting {
		t.Fatalf("deferred = %+v, want raw/vpc.yaml with code %q", rep.Deferred, DeferOpenForWriting)
	}
	if w == nil {
		t.FailNow()
	}
	if _, err := w.WriteString(string(vpcNamed("vpc-2"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = nil
	run(t, root, Options{})
	for _, name := range []string{"vpc-1", "vpc-2"} {
		if _, err := os.Stat(filepath.Join(root, "managed/vpcs", name+".yaml")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	full := first + string(vpcNamed("vpc-2"))
	got := archived(t, root)
	if len(got) != 2 || !(got[0] == first && got[1] == full || got[1] == first && got[0] == full) {
		t.Fatalf("archive = %q, want the first read and the whole file", got)
	}
}

// Files written a moment before a run with Settle (the daemon started right
// after they were copied in) are waited for and taken by that run, not left
// for a follow-up.
func TestSettleWaitsForFilesWrittenJustBefore(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a", "b"} {
		write(t, filepath.Join(root, "raw", name+".yaml"), vpcNamed("vpc-"+name))
	}
	rep := run(t, root, Options{Settle: 300 * time.Millisecond})
	if len(rep.Deferred) != 0 || rep.Created != 2 {
		t.Fatalf("deferred %+v, created %d; want both files taken by this run", rep.Deferred, rep.Created)
	}
}
