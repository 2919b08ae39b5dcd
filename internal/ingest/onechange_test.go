package ingest

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// cachedFGD returns an FGD whose managed/ holds n resources, ingested and
// read once through a fresh cache, as the daemon leaves it after a sync.
func cachedFGD(tb testing.TB, n int) (root string, cache *ManagedCache) {
	tb.Helper()
	root = tb.TempDir()
	for name, data := range generateFGD(tb, n/50, 50) {
		write(tb, filepath.Join(root, "raw", name), data)
	}
	cache = NewManagedCache()
	if rep := run(tb, root, Options{ManagedCache: cache}); rep.Created != n {
		tb.Fatalf("created %d, want %d: %+v", rep.Created, n, rep.Errors[:min(3, len(rep.Errors))])
	}
	if set := readManaged(tb, root, cache); len(set) != n {
		tb.Fatalf("desired set of %d, want %d", len(set), n)
	}
	return root, cache
}

func readManaged(tb testing.TB, root string, cache *ManagedCache) []Managed {
	tb.Helper()
	set, err := ReadManaged(root, registry(tb), cache)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// syncFiles runs what a sync does with files (ingest, then the desired
// set) and returns the set and the files it read in full: the raw files
// ingested and the managed files read through the cache, and the managed
// files parsed.
func syncFiles(tb testing.TB, root string, cache *ManagedCache) (set []Managed, read, parsed int64) {
	tb.Helper()
	r0, p0 := cache.Reads(), cache.Parsed()
	rep := run(tb, root, Options{ManagedCache: cache})
	set = readManaged(tb, root, cache)
	return set, int64(len(rep.Files)) + cache.Reads() - r0, cache.Parsed() - p0
}

func find(set []Managed, rel string) *Managed {
	for i := range set {
		if set[i].Path == rel {
			return &set[i]
		}
	}
	return nil
}

// TestOneFileChangeReadsOneFile: on a 5,000-resource managed/ a sync
// whose change is one dropped file reads that file and the managed file it
// wrote (read back once to check it), and parses no managed file; an edit
// of one managed file reads and parses that file alone. A file changed
// behind the cache's back (same stamp) is served from the cache until the
// periodic full pass reads every file and repairs the cache.
func TestOneFileChangeReadsOneFile(t *testing.T) {
	const n = 5000
	root, cache := cachedFGD(t, n)

	write(t, filepath.Join(root, "raw", "new.yaml"), []byte(testdocs.VPC("vpc-new")))
	set, read, parsed := syncFiles(t, root, cache)
	if len(set) != n+1 || find(set, "managed/vpcs/vpc-new.yaml") == nil {
		t.Fatalf("desired set of %d without the new VPC", len(set))
	}
	if read != 2 || parsed != 0 {
		t.Errorf("a dropped file: %d files read, %d managed files parsed; want 2 (it and its managed file) and 0", read, parsed)
	}

	rel := "managed/vpcs/vpc-new.yaml"
	abs := filepath.Join(root, rel)
	old := readFile(t, abs)
	edited := bytes.Replace(old, []byte("10.0.1.0/24"), []byte("10.0.2.0/24"), 1)
	if bytes.Equal(edited, old) {
		t.Fatal("the VPC has no subnet 10.0.1.0/24 to edit")
	}
	write(t, abs, edited)
	set, read, parsed = syncFiles(t, root, cache)
	if m := find(set, rel); m == nil || !bytes.Equal(m.Body, edited) {
		t.Fatalf("the edit of %s is not in the desired set", rel)
	}
	if read != 1 || parsed != 1 {
		t.Errorf("an edited managed file: %d files read, %d parsed; want 1 and 1", read, parsed)
	}

	// Behind the cache's back: same size and mtime, and the cache's
	// stamp made to match, as on a file system whose times do not move.
	fi, err := os.Stat(abs)
	if err != nil {
		t.Fatal(err)
	}
	behind := bytes.Replace(edited, []byte("10.0.2.0/24"), []byte("10.0.3.0/24"), 1)
	write(t, abs, behind)
	if err := os.Chtimes(abs, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := cache.restamp(root, rel); err != nil {
		t.Fatal(err)
	}
	set, read, _ = syncFiles(t, root, cache)
	if m := find(set, rel); m == nil || !bytes.Equal(m.Body, edited) || read != 0 {
		t.Fatalf("without a full pass the cache should be trusted (this test's premise): read %d", read)
	}
	cache.advance(FullPassInterval)
	if !cache.FullPassDue() {
		t.Fatal("no full pass due after FullPassInterval")
	}
	set, read, parsed = syncFiles(t, root, cache)
	if m := find(set, rel); m == nil || !bytes.Equal(m.Body, behind) || m.Hash != sha256Hex(behind) {
		t.Fatalf("the full pass did not catch the change behind the cache's back")
	}
	if read != n+1 || parsed != 1 {
		t.Errorf("full pass: %d files read, %d parsed; want %d and 1 (only the changed file)", read, parsed, n+1)
	}
	// Repaired: the next sync serves the new content without reading.
	set, read, _ = syncFiles(t, root, cache)
	if m := find(set, rel); m == nil || !bytes.Equal(m.Body, behind) || read != 0 {
		t.Errorf("after the full pass: read %d, content repaired %v", read, m != nil && bytes.Equal(m.Body, behind))
	}
}

// TestFullPassFindsInvalidFileBehindCache: an invalid file behind the
// cache's back fails the full pass with its name, and the next ingestion
// moves it to unmanaged/.
func TestFullPassFindsInvalidFileBehindCache(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), []byte(testdocs.VPC("vpc-a")))
	cache := NewManagedCache()
	run(t, root, Options{ManagedCache: cache})
	readManaged(t, root, cache)

	rel := "managed/vpcs/vpc-a.yaml"
	abs := filepath.Join(root, rel)
	body := readFile(t, abs)
	bad := bytes.Replace(body, []byte("spec:\n"), []byte("spec:\n  bogus: 1\n"), 1)
	write(t, abs, bad)
	if err := cache.restamp(root, rel); err != nil {
		t.Fatal(err)
	}
	cache.RequestFullPass()
	if _, err := ReadManaged(root, registry(t), cache); err == nil || !strings.Contains(err.Error(), rel) {
		t.Fatalf("full pass over an invalid file: %v, want an error naming %s", err, rel)
	}
	if rep := run(t, root, Options{ManagedCache: cache}); rep.Unmanaged != 1 {
		t.Fatalf("the invalid file was not moved to unmanaged/: %+v", rep.Files)
	}
	if set := readManaged(t, root, cache); len(set) != 0 {
		t.Fatalf("desired set %+v, want empty", set)
	}
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sumOf(b)
	return hex.EncodeToString(sum[:])
}

// BenchmarkIngestOneChange5000 is a sync's file work (ingestion, then the
// desired set) when one file is dropped into raw/ of an FGD whose managed/
// holds 5,000 resources, with the daemon's managed cache. files-read/op
// counts the files read in full: the dropped file and its managed file
// read back once; managed-parsed/op the managed files parsed again.
func BenchmarkIngestOneChange5000(b *testing.B) {
	root, cache := cachedFGD(b, 5000)
	var read, parsed int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		write(b, filepath.Join(root, "raw", "drop.yaml"), []byte(testdocs.VPC("vpc-drop-"+strconv.Itoa(i))))
		b.StartTimer()
		_, r, p := syncFiles(b, root, cache)
		read += r
		parsed += p
	}
	b.StopTimer()
	b.ReportMetric(float64(read)/float64(b.N), "files-read/op")
	b.ReportMetric(float64(parsed)/float64(b.N), "managed-parsed/op")
}
