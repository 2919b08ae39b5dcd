package fgd

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	for i, step := range []struct {
		data      string
		wantWrote bool
	}{{"one\n", true}, {"one\n", false}, {"two\n", true}, {"", true}, {"", false}} {
		wrote, err := WriteFileAtomic(p, []byte(step.data), 0o644)
		if err != nil || wrote != step.wantWrote {
			t.Fatalf("step %d: wrote=%v err=%v, want wrote=%v", i, wrote, err, step.wantWrote)
		}
		if b, _ := os.ReadFile(p); string(b) != step.data {
			t.Fatalf("step %d: content %q", i, b)
		}
	}
	if names := list(t, dir); len(names) != 1 {
		t.Fatalf("left files behind: %v", names)
	}
	// A symlink at the path is replaced by the file, its target untouched.
	target := filepath.Join(dir, "target")
	mustWrite(t, target, "keep\n")
	link := filepath.Join(dir, "link.yaml")
	os.Symlink(target, link)
	if _, err := WriteFileAtomic(link, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Fatal("WriteFileAtomic wrote through a symlink")
	}
}

func TestBatchOrderCopyAndAbort(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	mustWrite(t, src, "source bytes")
	b := NewBatch()
	for i := 0; i < 40; i++ { // over syncfsThreshold
		if _, err := b.Write(filepath.Join(dir, string(rune('a'+i%26))+strings.Repeat("x", i/26)), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Copy(filepath.Join(dir, "copy"), src, sha256.Sum256([]byte("source bytes")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Copy(filepath.Join(dir, "bad"), src, sha256.Sum256([]byte("other")), 0o644); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("copy with a wrong sum: %v", err)
	}
	if err := b.Symlink(filepath.Join(dir, "ln"), "/etc/passwd"); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "copy")); string(got) != "source bytes" {
		t.Fatalf("copy = %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "bad")); err == nil {
		t.Fatal("a failed copy was committed")
	}
	if tgt, _ := os.Readlink(filepath.Join(dir, "ln")); tgt != "/etc/passwd" {
		t.Fatalf("link = %q", tgt)
	}
	for _, n := range list(t, dir) {
		if IsTemp(n) {
			t.Fatalf("temp file left: %s", n)
		}
	}
	ab := NewBatch()
	ab.Write(filepath.Join(dir, "never"), []byte("x"), 0o644)
	ab.Abort()
	if _, err := os.Lstat(filepath.Join(dir, "never")); err == nil {
		t.Fatal("aborted write visible")
	}
	for _, n := range list(t, dir) {
		if IsTemp(n) {
			t.Fatalf("Abort left temp file %s", n)
		}
	}
}

func TestOpenRegularRefusesNonFiles(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/etc/passwd", filepath.Join(dir, "ln"))
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	for _, n := range []string{"ln", "d", "missing"} {
		if f, err := OpenRegular(filepath.Join(dir, n)); err == nil {
			f.Close()
			t.Errorf("OpenRegular(%s) succeeded", n)
		}
	}
}

func TestCleanTemp(t *testing.T) {
	root := t.TempDir()
	if _, err := Ensure(root, testManifest); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"managed/vpcs/.fgd-tmp-1", "unmanaged/.fgd-tmp-2", ".hnp/archive/.fgd-tmp-3", ".hnp/.fgd-tmp-4", ".fgd-tmp-5"} {
		mustWrite(t, filepath.Join(root, p), "partial")
	}
	mustWrite(t, filepath.Join(root, "raw/.fgd-tmp-6"), "user's")
	reps, err := CleanTemp(root)
	if err != nil || len(reps) != 5 {
		t.Fatalf("CleanTemp: %v %v", reps, err)
	}
	if _, err := os.Stat(filepath.Join(root, "raw/.fgd-tmp-6")); err != nil {
		t.Fatal("removed a file in raw/")
	}
	if reps, _ := CleanTemp(root); len(reps) != 0 {
		t.Fatalf("second CleanTemp: %v", reps)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
