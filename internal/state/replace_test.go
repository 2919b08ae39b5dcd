package state

import (
	"strconv"
	"testing"
)

// A one-resource change to a 5,000-resource desired set writes one row:
// every unchanged resource keeps its row, the changed one gets a new row,
// a removed one is gone, and DesiredOfKind still filters by kind.
func TestReplaceDesiredWritesOnlyWhatChanged(t *testing.T) {
	const n = 5000
	s := newStore(t)
	set := make([]Resource, n)
	for i := range set {
		set[i] = res("VPC", "vpc-"+strconv.Itoa(i), "body "+strconv.Itoa(i))
	}
	set = append(set, res("Switch", "sw-1", "switch"))
	if err := s.ReplaceDesired("dc1", "", set); err != nil {
		t.Fatal(err)
	}
	before := rowsByKey(t, s)

	changed := res("VPC", "vpc-7", "body 7, changed")
	next := append([]Resource{}, set[:n-1]...) // vpc-4999 removed
	next[7] = changed
	next = append(next, set[n])
	if err := s.ReplaceDesired("dc1", "", next); err != nil {
		t.Fatal(err)
	}
	after := rowsByKey(t, s)
	if len(after) != n {
		t.Fatalf("%d rows, want %d", len(after), n)
	}
	kept := 0
	for key, r := range after {
		if before[key] == r {
			kept++
		}
	}
	if kept != n-1 || after[changed.Key] == before[changed.Key] || after[changed.Key].Hash != HashBytes(changed.Body) {
		t.Errorf("%d rows kept, want %d; the changed row is new: %v", kept, n-1, after[changed.Key] != before[changed.Key])
	}
	if _, ok := after[set[n-1].Key]; ok {
		t.Error("the removed resource is still desired")
	}
	sw, err := s.DesiredOfKind(nil, "dc1", "Switch")
	if err != nil || len(sw) != 1 || sw[0].Name != "sw-1" {
		t.Errorf("DesiredOfKind(Switch) = %v, %v", sw, err)
	}
	// A new revision is a new row for every resource: rows carry it.
	if err := s.ReplaceDesired("dc1", "r2", next); err != nil {
		t.Fatal(err)
	}
	for key, r := range rowsByKey(t, s) {
		if r.Revision != "r2" || r == after[key] {
			t.Fatalf("%s: revision %q after the set moved to r2", key, r.Revision)
		}
	}
}

func rowsByKey(t *testing.T, s *Store) map[string]*Resource {
	t.Helper()
	rs, err := s.Desired(nil, "dc1")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*Resource, len(rs))
	for _, r := range rs {
		out[r.Key] = r
	}
	return out
}
