package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readLines returns the lines of the file at path, each checked to be one
// valid JSON entry.
func readLines(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e Entry
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("%s: line %d is not a valid entry: %v\n%s", path, len(out)+1, err, sc.Text())
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rotatedFiles lists path's rotated files (path.1, path.2, …) that exist.
func rotatedFiles(t *testing.T, path string) []string {
	t.Helper()
	matches, err := filepath.Glob(path + ".*")
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

func TestRecordWritesOneJSONLinePerEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", FileName) // the directory is created
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	l, err := New(path, 0, DefaultKeep, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	entries := []Entry{
		{Actor: "operator", Remote: "127.0.0.1:5555", Action: ActionSync, Fabric: "dc1", Revision: "abc123",
			Outcome: OutcomeAccepted, Detail: "sync 01H requested over the API"},
		{Actor: ActorFsnotify, Action: ActionSync, Fabric: "lab", Outcome: OutcomeCompleted,
			Changes: map[string]any{"create": 2, "update": 1, "delete": 0}},
		{Time: time.Unix(1700000000, 0), Actor: ActorAnonymous, Remote: "[::1]:4000", Action: ActionRejected,
			Outcome: OutcomeRejected, Detail: "POST /api/v1/fabrics/dc1/sync: no bearer token"},
		{Actor: ActorWebhook + "github", Action: ActionSync, Fabric: "dc1", Detail: "line\nbreak \"quoted\" \x00 ünïcode"},
	}
	for _, e := range entries {
		if err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, path)
	if len(got) != len(entries) {
		t.Fatalf("%d lines, want %d", len(got), len(entries))
	}
	if !got[0].Time.Equal(clock) || got[0].Time.Location() != time.UTC {
		t.Errorf("time of an entry without one = %v, want the clock's %v in UTC", got[0].Time, clock)
	}
	if !got[2].Time.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("an entry's own time was replaced: %v", got[2].Time)
	}
	if got[1].Changes["create"] != float64(2) || got[3].Detail != entries[3].Detail || got[0].Remote != "127.0.0.1:5555" {
		t.Errorf("entries do not round-trip: %+v", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}

	// Close, then Record: the file is opened again and appended to.
	if err := l.Record(Entry{Actor: ActorPoll, Action: ActionSync}); err != nil {
		t.Fatal(err)
	}
	if n := len(readLines(t, path)); n != len(entries)+1 {
		t.Errorf("after a Record past Close: %d lines, want %d", n, len(entries)+1)
	}
	// A new Log on the same file appends too.
	l2, err := New(path, 0, DefaultKeep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Record(Entry{Actor: ActorPoll, Action: ActionReload}); err != nil {
		t.Fatal(err)
	}
	if n := len(readLines(t, path)); n != len(entries)+2 {
		t.Errorf("after reopening: %d lines, want %d", n, len(entries)+2)
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		keep int
		want string
	}{
		{"empty path", "", 1, "must not be empty"},
		{"negative keep", filepath.Join(dir, "a.log"), -1, "keep must be 0 or more"},
		{"directory is a file", filepath.Join(blocker, "audit.log"), 1, blocker},
		{"path is a directory", dir, 1, dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.path, 0, tt.keep, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%q, keep %d) = %v, want an error naming %q", tt.path, tt.keep, err, tt.want)
			}
		})
	}
}

func TestRotationKeepsNFiles(t *testing.T) {
	tests := []struct {
		name string
		keep int
	}{{"keep none", 0}, {"keep one", 1}, {"keep three", 3}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			l, err := New(path, 1024, tt.keep, nil)
			if err != nil {
				t.Fatal(err)
			}
			const n = 200 // ~100 bytes each: about 20 rotations
			for i := range n {
				if err := l.Record(Entry{Actor: ActorPoll, Action: ActionSync, Fabric: "dc1", Detail: fmt.Sprintf("line %04d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			rot := rotatedFiles(t, path)
			if len(rot) != tt.keep {
				t.Fatalf("rotated files %v, want %d", rot, tt.keep)
			}
			// Newest last: path.keep … path.1, then path; the details
			// run on without a gap, ending with the last line written.
			var all []Entry
			for i := tt.keep; i >= 1; i-- {
				all = append(all, readLines(t, fmt.Sprintf("%s.%d", path, i))...)
			}
			all = append(all, readLines(t, path)...)
			for i, e := range all {
				want := fmt.Sprintf("line %04d", n-len(all)+i)
				if e.Detail != want {
					t.Fatalf("entry %d of the kept files = %q, want %q", i, e.Detail, want)
				}
			}
			for _, f := range append(rot, path) {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() > 1024 {
					t.Errorf("%s holds %d bytes, more than the limit", f, fi.Size())
				}
			}
		})
	}
}

func TestALineLargerThanTheLimitIsWrittenWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	l, err := New(path, 100, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 500)
	for _, d := range []string{"small", big, "after"} {
		if err := l.Record(Entry{Actor: ActorPoll, Action: ActionSync, Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readLines(t, path+".1"); len(got) != 1 || got[0].Detail != big {
		t.Errorf("audit.log.1 = %+v, want the big line alone", got)
	}
	if got := readLines(t, path); len(got) != 1 || got[0].Detail != "after" {
		t.Errorf("audit.log = %+v, want the line after the big one", got)
	}
}

// TestConcurrentWritersLoseNoLine: many goroutines record at once across
// rotations; every line is whole, valid JSON, and found exactly once.
func TestConcurrentWritersLoseNoLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const writers, each = 8, 250
	// 2,000 lines of ~130 bytes in files of 4 KiB: ~65 rotations, and
	// enough kept files that none is dropped.
	l, err := New(path, 4096, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := l.Record(Entry{Actor: fmt.Sprintf("writer-%d", w), Action: ActionSync, Fabric: "dc1",
					Detail: fmt.Sprintf("%d/%d", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rot := rotatedFiles(t, path)
	if len(rot) < 10 {
		t.Fatalf("only %d rotations: the test does not exercise rotation", len(rot))
	}
	seen := make(map[string]int)
	for _, f := range append(rot, path) {
		for _, e := range readLines(t, f) {
			seen[e.Detail]++
		}
	}
	for w := range writers {
		for i := range each {
			if k := fmt.Sprintf("%d/%d", w, i); seen[k] != 1 {
				t.Errorf("line %s found %d times, want once", k, seen[k])
			}
		}
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct lines, want %d", len(seen), writers*each)
	}
}
