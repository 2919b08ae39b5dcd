package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// allEntries reads path and its rotated files, oldest first.
func allEntries(t *testing.T, path string) []Entry {
	t.Helper()
	var out []Entry
	for i := 1000; i >= 1; i-- {
		p := fmt.Sprintf("%s.%d", path, i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, readLines(t, p)...)
		}
	}
	return append(out, readLines(t, path)...)
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A flood of 100,000 rejected requests from as many addresses, with the
// operators' records written in between: every operator record is still in
// the audit log, and the rejections cost a bounded number of lines in
// their own log.
func TestRejectedFloodKeepsEveryOperatorRecord(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	ops, err := New(filepath.Join(dir, FileName), DefaultMaxBytes, DefaultKeep, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ops.KeepFor(30*24*time.Hour, 0)
	rejLog, err := New(filepath.Join(dir, RejectedFileName), DefaultMaxBytes, DefaultKeep, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	var writeErrs []error
	rej := NewRejections(rejLog, clock.now, func(err error) { writeErrs = append(writeErrs, err) })

	const floods, every = 100_000, 1000
	var want []string
	for i := range floods {
		rej.Note(Entry{Actor: ActorAnonymous, Remote: fmt.Sprintf("10.%d.%d.%d:%d", i>>16&255, i>>8&255, i&255, 40000+i%20000),
			Detail: "POST /api/v1/fabrics/dc1/sync: Unauthorized: no bearer token"}, "401 no bearer token")
		if i%every == 0 {
			d := fmt.Sprintf("sync %d started", i)
			if err := ops.Record(Entry{Actor: "operator", Action: ActionSync, Fabric: "dc1", Outcome: OutcomeAccepted, Detail: d}); err != nil {
				t.Fatal(err)
			}
			want = append(want, d)
		}
		clock.add(30 * time.Millisecond) // 100,000 requests in 50 minutes
	}
	rej.Flush()
	if len(writeErrs) > 0 {
		t.Fatalf("writing the rejections failed: %v", writeErrs[0])
	}

	var got []string
	for _, e := range allEntries(t, ops.Path()) {
		got = append(got, e.Detail)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the audit log holds %d operator records, want all %d", len(got), len(want))
	}
	lines, total := 0, 0
	for _, e := range allEntries(t, rejLog.Path()) {
		if e.Action != ActionRejected || e.Outcome != OutcomeRejected {
			t.Fatalf("%+v is not a rejection record", e)
		}
		lines++
		total += int(e.Changes["count"].(float64))
	}
	if total != floods {
		t.Errorf("the rejection records count %d requests, want %d", total, floods)
	}
	// 51 minutes touched, at most 100 callers and "other" each.
	if limit := 51 * (maxRejectedKeys + 1); lines > limit {
		t.Errorf("%d rejection records, want at most %d", lines, limit)
	}
}

// One caller's rejections in one minute make one record with the count
// and the reasons, written when the next minute starts; Flush writes the
// rest.
func TestRejectionsAggregatePerCallerAndMinute(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 11, 1, 8, 0, 10, 0, time.UTC)}
	l, err := New(filepath.Join(dir, RejectedFileName), 0, DefaultKeep, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	rej := NewRejections(l, clock.now, nil)
	note := func(remote, actor, reason string) {
		rej.Note(Entry{Actor: actor, Remote: remote, Detail: "GET /x: " + reason}, reason)
	}
	note("127.0.0.1:1000", ActorAnonymous, "401 no bearer token")
	note("127.0.0.1:1001", ActorAnonymous, "421 Host not allowed")
	note("127.0.0.1:1002", ActorAnonymous, "401 no bearer token")
	note("127.0.0.1:1003", "reader", "403 read token on a mutating call")
	note("[2001:db8::1]:5", ActorAnonymous, "401 no bearer token")
	note("[2001:db8::2]:5", ActorAnonymous, "401 no bearer token")
	if n := len(readLines(t, l.Path())); n != 0 {
		t.Fatalf("%d records written within the minute, want none yet", n)
	}
	clock.add(time.Minute)
	note("127.0.0.1:1004", ActorAnonymous, "401 no bearer token")
	got := readLines(t, l.Path())
	var lines []string
	for _, e := range got {
		lines = append(lines, fmt.Sprintf("%s %s %v %v", e.Remote, e.Actor, e.Changes["count"], e.Changes["reasons"]))
	}
	want := []string{ // the reasons sorted by text
		"127.0.0.1 anonymous 3 [map[count:2 reason:401 no bearer token] map[count:1 reason:421 Host not allowed]]",
		"127.0.0.1 reader 1 [map[count:1 reason:403 read token on a mutating call]]",
		"2001:db8::/64 anonymous 2 [map[count:2 reason:401 no bearer token]]",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("records\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(got[0].Detail, "3 rejected in the minute from 08:00; the first: GET /x: 401 no bearer token") {
		t.Errorf("detail %q", got[0].Detail)
	}
	rej.Flush()
	if n := len(readLines(t, l.Path())); n != 4 {
		t.Errorf("%d records after Flush, want 4", n)
	}
}

// Rotation keeps every file younger than the retention, however many, up
// to the file cap; once they are older, it deletes down to keep.
func TestRotationKeepsRecordsWithinTheRetention(t *testing.T) {
	dir := t.TempDir()
	base := time.Now()
	offset := time.Duration(0)
	now := func() time.Time { return base.Add(offset) }
	l, err := New(filepath.Join(dir, FileName), 2048, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	l.KeepFor(24*time.Hour, 0)
	const n = 1000
	for i := range n {
		if err := l.Record(Entry{Actor: "operator", Action: ActionReload, Outcome: OutcomeOK, Detail: fmt.Sprintf("reload %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(allEntries(t, l.Path())); got != n {
		t.Fatalf("%d records within the retention, want all %d", got, n)
	}
	files := len(rotatedFiles(t, l.Path()))
	if files <= 2 {
		t.Fatalf("%d rotated files: the test must rotate past keep", files)
	}
	offset = 48 * time.Hour
	for i := range 20 {
		if err := l.Record(Entry{Actor: "operator", Action: ActionReload, Detail: fmt.Sprintf("later %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rotatedFiles(t, l.Path())); got != 2 {
		t.Errorf("%d rotated files once the old ones passed the retention, want keep = 2", got)
	}

	// The file cap holds even within the retention.
	offset = 0
	l.KeepFor(24*time.Hour, 3)
	for i := range 300 {
		if err := l.Record(Entry{Actor: "operator", Action: ActionReload, Detail: fmt.Sprintf("more %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rotatedFiles(t, l.Path())); got != 3 {
		t.Errorf("%d rotated files with a cap of 3", got)
	}
}
