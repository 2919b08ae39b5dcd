package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// legacyLog is an archive log of n records in one file, as fgd wrote it
// before segments: the whole list encoded at once.
func legacyLog(tb testing.TB, n int) []byte {
	tb.Helper()
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Path: fmt.Sprintf("raw/old-%05d.yaml", i), SHA256: fmt.Sprintf("%064x", i),
			ArchivedAs: fmt.Sprintf(".hnp/archive/old-%05d.yaml", i), Documents: i % 3, Outcome: OutcomeIngested, When: "2025-06-01T00:00:00Z"}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(recs); err != nil {
		tb.Fatal(err)
	}
	enc.Close()
	return buf.Bytes()
}

// logState is the archive log's files below root, by path, and all its
// records in order (segments first, oldest first).
func logState(t *testing.T, root string) (map[string]string, []Record) {
	t.Helper()
	out := map[string]string{}
	var all []Record
	segs, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir), "*"))
	for _, p := range append(segs, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog))) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		recs, err := decodeRecords(b)
		if err != nil {
			t.Fatalf("%s does not parse: %v", rel, err)
		}
		if strings.HasPrefix(filepath.ToSlash(rel), fgd.ArchiveLogDir+"/") && len(recs) != segmentRecords {
			t.Fatalf("segment %s holds %d records, want %d", rel, len(recs), segmentRecords)
		}
		all = append(all, recs...)
	}
	return out, all
}

// TestArchiveLogRolls: a log from before segments (2,600 records in
// archive-log.yaml) is rolled on the first sync into segments of 500
// records, in order, leaving at most 1,000 recent records in the file's old
// shape; nothing is lost or doubled. A sync killed at any point of that
// roll (after 0 … 4 segments were written, before the recent part was
// rewritten) is finished by the next one into the same files, byte for
// byte.
func TestArchiveLogRolls(t *testing.T) {
	const n = 2600
	old := legacyLog(t, n)
	drop := func(root string) {
		write(t, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog)), old)
		write(t, filepath.Join(root, "raw", "new.yaml"), []byte(testdocs.VPC("new")))
	}
	ref := t.TempDir()
	drop(ref)
	if rep := run(t, ref, Options{}); rep.Created != 1 {
		t.Fatalf("created %d", rep.Created)
	}
	want, recs := logState(t, ref)
	if len(recs) != n+1 || len(want) != 5 {
		t.Fatalf("%d records in %d files, want %d in 4 segments and the recent file", len(recs), len(want), n+1)
	}
	for i, r := range recs[:n] {
		if r.Path != fmt.Sprintf("raw/old-%05d.yaml", i) {
			t.Fatalf("record %d is %s: order lost", i, r.Path)
		}
	}
	if recs[n].Path != "raw/new.yaml" {
		t.Fatalf("the new record is %v", recs[n])
	}
	if recent := want[fgd.ArchiveLog]; strings.Count(recent, "\n- path:")+1 != n+1-4*segmentRecords {
		t.Fatalf("recent part holds %d records", strings.Count(recent, "\n- path:")+1)
	}
	// Once rolled, a sync reads no segment: a broken one changes nothing.
	last := filepath.Join(ref, filepath.FromSlash(fgd.ArchiveLogDir), segmentName(4))
	write(t, last, []byte("not: [yaml"))
	write(t, filepath.Join(ref, "raw", "next.yaml"), []byte(testdocs.VPC("next")))
	if rep := run(t, ref, Options{}); rep.Created != 1 {
		t.Fatalf("the sync after the roll created %d", rep.Created)
	}
	if b, _ := os.ReadFile(last); string(b) != "not: [yaml" {
		t.Fatalf("a sync rewrote segment 4")
	}
	write(t, last, []byte(want[fgd.ArchiveLogDir+"/"+segmentName(4)]))

	// A roll alone is a change (a git fabric commits it) and a repair
	// that `fgd plan` shows; the next run has nothing to do.
	alone := t.TempDir()
	write(t, filepath.Join(alone, filepath.FromSlash(fgd.ArchiveLog)), old)
	if rep := run(t, alone, Options{DryRun: true}); !hasRepair(rep, fgd.ArchiveLog) {
		t.Errorf("a dry run does not report the roll: %v", rep.Repairs)
	}
	if rep := run(t, alone, Options{}); !rep.Changed || !hasRepair(rep, fgd.ArchiveLog) {
		t.Errorf("the roll alone: changed %v, repairs %v", rep.Changed, rep.Repairs)
	}
	if rep := run(t, alone, Options{}); rep.Changed {
		t.Errorf("the run after the roll changed something: %v", rep.Repairs)
	}

	items, _ := splitItems(old)
	for done := 0; done <= 4; done++ {
		t.Run(fmt.Sprintf("killed after %d segments", done), func(t *testing.T) {
			root := t.TempDir()
			drop(root)
			for s := 1; s <= done; s++ {
				write(t, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir), segmentName(s)),
					bytes.Join(items[(s-1)*segmentRecords:s*segmentRecords], nil))
			}
			run(t, root, Options{})
			got, _ := logState(t, root)
			for p, w := range want {
				if got[p] != w {
					t.Errorf("%s differs from an uninterrupted roll", p)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d files, want %d", len(got), len(want))
			}
		})
	}
}

// A run whose own records pushed the log over recentMax rolls a segment,
// then is killed before it rewrites archive-log.yaml: the file still holds
// at most recentMax records, all of them, and the segment holds the first
// segmentRecords again. The next run that rolls must recognise that
// segment instead of writing the same records into a second one.
func TestArchiveLogRollInterruptedBelowRecentMax(t *testing.T) {
	root := t.TempDir()
	old := legacyLog(t, recentMax)
	write(t, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog)), old)
	items, _ := splitItems(old)
	write(t, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir), segmentName(1)), bytes.Join(items[:segmentRecords], nil))
	write(t, filepath.Join(root, "raw", "new.yaml"), []byte(testdocs.VPC("new")))
	if rep := run(t, root, Options{}); rep.Created != 1 {
		t.Fatalf("created %d", rep.Created)
	}
	files, recs := logState(t, root)
	if len(files) != 2 {
		t.Errorf("%d files of the log, want segment 1 and the recent file: %v", len(files), keys(files))
	}
	if len(recs) != recentMax+1 {
		t.Fatalf("%d records, want %d: a record was lost or written twice", len(recs), recentMax+1)
	}
	for i, r := range recs[:recentMax] {
		if r.Path != fmt.Sprintf("raw/old-%05d.yaml", i) {
			t.Fatalf("record %d is %s: order lost or a record doubled", i, r.Path)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestArchiveLogItems: what encodeRecord writes is what the old encoder
// wrote for the whole list, item by item, and reads back as fgd's own log;
// records with odd paths (quotes, colons, newlines, non-ASCII) survive.
func TestArchiveLogItems(t *testing.T) {
	recs := []Record{
		{Path: "raw/a.yaml", SHA256: strings.Repeat("a", 64), ArchivedAs: ".hnp/archive/a.yaml", Documents: 2, Outcome: OutcomeIngested, When: "2026-01-02T03:04:05Z"},
		{Path: "raw/it's: a \"file\".yaml", SHA256: strings.Repeat("b", 64), Outcome: OutcomeEmpty, When: "x"},
		{Path: "raw/line\nbreak.yaml", SHA256: strings.Repeat("c", 64), Outcome: OutcomeUnmanaged, When: "x"},
		{Path: "raw/ünïcödé #1.yaml", SHA256: strings.Repeat("d", 64), Outcome: OutcomePartial, When: "x"},
	}
	var whole bytes.Buffer
	enc := yaml.NewEncoder(&whole)
	enc.SetIndent(2)
	enc.Encode(recs)
	enc.Close()
	var joined []byte
	for _, r := range recs {
		item, err := encodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, item...)
	}
	if !bytes.Equal(joined, whole.Bytes()) {
		t.Fatalf("items joined differ from the list encoded whole:\n%s\n---\n%s", joined, whole.Bytes())
	}
	items, err := parseLog(joined)
	if err != nil || len(items) != len(recs) {
		t.Fatalf("parseLog: %d items, %v", len(items), err)
	}
	back, err := decodeRecords(bytes.Join(items, nil))
	if err != nil || len(back) != len(recs) || back[2].Path != recs[2].Path || back[1].Path != recs[1].Path {
		t.Fatalf("read back %+v, %v", back, err)
	}
	l := &archiveLog{items: items}
	if added, _ := l.add(recs[2]); added {
		t.Fatal("a record already in the log was added again")
	}
	if added, _ := l.add(Record{Path: "raw/a.yaml", SHA256: strings.Repeat("e", 64)}); !added {
		t.Fatal("a new version of a file was not added")
	}
	for _, bad := range []string{"- path: x\n  sha256: y\n  extra: 1\n", "entries:\n  - file: x\n", "- [unclosed\n"} {
		if _, err := parseLog([]byte(bad)); err == nil {
			t.Errorf("parseLog accepted %q", bad)
		}
	}
}

func hasRepair(rep *Report, path string) bool {
	for _, r := range rep.Repairs {
		if r.Path == path {
			return true
		}
	}
	return false
}
