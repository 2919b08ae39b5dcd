package state

import (
	"slices"
	"strings"
	"testing"
)

func TestReplaceDesired(t *testing.T) {
	a, b, c := res("VPC", "a", "A"), res("VPC", "b", "B"), res("Switch", "c", "C")
	cases := []struct {
		name     string
		sets     [][]Resource // replaced one after the other, revisions r1, r2, …
		wantKeys []string
		byKind   map[string]int
		wantErr  string
	}{
		{name: "one set", sets: [][]Resource{{c, a, b}}, wantKeys: []string{c.Key, a.Key, b.Key}, byKind: map[string]int{"VPC": 2, "Switch": 1}},
		{name: "replaced whole", sets: [][]Resource{{a, b}, {c}}, wantKeys: []string{c.Key}, byKind: map[string]int{"Switch": 1}},
		{name: "emptied", sets: [][]Resource{{a, b}, nil}, wantKeys: nil, byKind: map[string]int{}},
		{name: "duplicate key", sets: [][]Resource{{a, b, a}}, wantErr: "holds " + a.Key + " twice"},
		{name: "no key", sets: [][]Resource{{{Path: "managed/vpcs/x.yaml"}}}, wantErr: `(path "managed/vpcs/x.yaml") has no key`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			var err error
			rev := ""
			for i, set := range tc.sets {
				rev = "r" + string(rune('1'+i))
				if err = s.ReplaceDesired("dc1", rev, set); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if rs, _ := s.Desired(nil, "dc1"); len(rs) != 0 {
					t.Errorf("a refused set left %d resources", len(rs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rs, err := s.Desired(nil, "dc1")
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(rs); !slices.Equal(got, tc.wantKeys) {
				t.Errorf("keys = %v, want %v", got, tc.wantKeys)
			}
			for _, r := range rs {
				if r.Fabric != "dc1" || r.Revision != rev {
					t.Errorf("%s: fabric %q revision %q, want dc1 %s", r.Key, r.Fabric, r.Revision, rev)
				}
				if r.Hash != HashBytes(r.Body) {
					t.Errorf("%s: hash %s is not the sha256 of its body", r.Key, r.Hash)
				}
			}
			byKind, err := s.DesiredByKind(nil, "dc1")
			if err != nil {
				t.Fatal(err)
			}
			if len(byKind) != len(tc.byKind) {
				t.Errorf("by kind = %v, want %v", byKind, tc.byKind)
			}
			for k, n := range tc.byKind {
				if byKind[k] != n {
					t.Errorf("by kind = %v, want %v", byKind, tc.byKind)
				}
				ofKind, err := s.DesiredOfKind(nil, "dc1", k)
				if err != nil {
					t.Fatal(err)
				}
				if len(ofKind) != n {
					t.Errorf("DesiredOfKind(%s) = %d resources, want %d", k, len(ofKind), n)
				}
			}
		})
	}
}

func TestDesiredFabricsDoNotMix(t *testing.T) {
	s := newStore(t)
	// "dc1" is a prefix of "dc10": the scans must not mix them.
	if err := s.ReplaceDesired("dc1", "r", []Resource{res("VPC", "a", "1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDesired("dc10", "r", []Resource{res("VPC", "b", "2"), res("VPC", "c", "3")}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDesired("dc1", "r2", []Resource{res("VPC", "z", "9")}); err != nil {
		t.Fatal(err)
	}
	for fabric, want := range map[string]int{"dc1": 1, "dc10": 2} {
		rs, _ := s.Desired(nil, fabric)
		if len(rs) != want {
			t.Errorf("%s has %d resources, want %d", fabric, len(rs), want)
		}
		by, _ := s.DesiredByKind(nil, fabric)
		if by["VPC"] != want {
			t.Errorf("%s by kind = %v, want VPC: %d", fabric, by, want)
		}
	}
}

func TestReplaceDesiredExplicitHashKept(t *testing.T) {
	s := newStore(t)
	r := res("VPC", "a", "A")
	r.Hash = "given"
	if err := s.ReplaceDesired("dc1", "r1", []Resource{r}); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Desired(nil, "dc1")
	if rs[0].Hash != "given" {
		t.Errorf("hash = %q, want the given one", rs[0].Hash)
	}
}

func TestInventory(t *testing.T) {
	a, b, c := res("VPC", "a", "A"), res("VPC", "b", "B"), res("VPC", "c", "C")
	cases := []struct {
		name     string
		replace  []InventoryItem
		upserts  []InventoryItem
		deletes  []string
		wantKeys []string
		wantErr  string
	}{
		{name: "replace", replace: []InventoryItem{item(c), item(a)}, wantKeys: []string{a.Key, c.Key}},
		{name: "apply upserts and deletes", replace: []InventoryItem{item(a), item(b)}, upserts: []InventoryItem{item(c)}, deletes: []string{a.Key, "not/there"}, wantKeys: []string{b.Key, c.Key}},
		{name: "duplicate", replace: []InventoryItem{item(a), item(a)}, wantErr: "holds " + a.Key + " twice"},
		{name: "no hash", replace: []InventoryItem{{Key: a.Key}}, wantErr: "has no hash"},
		{name: "no key", upserts: []InventoryItem{{Hash: "h"}}, wantErr: "has no key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			err := s.ReplaceInventory("dc1", "exec", tc.replace)
			if err == nil && (tc.upserts != nil || tc.deletes != nil) {
				err = s.ApplyInventory("dc1", "exec", tc.upserts, tc.deletes)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			inv, err := s.Inventory(nil, "dc1", "exec")
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(inv); !slices.Equal(got, tc.wantKeys) {
				t.Errorf("keys = %v, want %v", got, tc.wantKeys)
			}
			for _, it := range inv {
				if it.Fabric != "dc1" || it.Sink != "exec" {
					t.Errorf("%s: fabric %q sink %q", it.Key, it.Fabric, it.Sink)
				}
			}
			// Another sink of the same fabric is a separate inventory.
			if other, _ := s.Inventory(nil, "dc1", "directory"); len(other) != 0 {
				t.Errorf("sink directory holds %d items, want 0", len(other))
			}
		})
	}
}

func TestInventoryNeedsNames(t *testing.T) {
	s := newStore(t)
	if err := s.ReplaceInventory("", "exec", nil); err == nil {
		t.Error("no error for an empty fabric")
	}
	if err := s.ApplyInventory("dc1", "", nil, nil); err == nil {
		t.Error("no error for an empty sink")
	}
}

func TestDiff(t *testing.T) {
	a, b, c, d := res("VPC", "a", "A"), res("VPC", "b", "B"), res("VPC", "c", "C"), res("VPC", "d", "D")
	b2 := b
	b2.Body = []byte("B, edited")
	cases := []struct {
		name                    string
		desired                 []Resource
		held                    []InventoryItem
		create, update, deleted []string
		unchanged               int
	}{
		{name: "all new", desired: []Resource{b, a}, create: []string{a.Key, b.Key}},
		{name: "all unchanged", desired: []Resource{a, b}, held: []InventoryItem{item(b), item(a)}, unchanged: 2},
		{name: "one updated", desired: []Resource{a, b2}, held: []InventoryItem{item(a), item(b)}, update: []string{b.Key}, unchanged: 1},
		{name: "one gone", desired: []Resource{a}, held: []InventoryItem{item(a), item(c)}, deleted: []string{c.Key}, unchanged: 1},
		{name: "empty desired deletes all", held: []InventoryItem{item(d), item(a)}, deleted: []string{a.Key, d.Key}},
		{
			name:    "mixed, sorted by key",
			desired: []Resource{d, b2, a},
			held:    []InventoryItem{item(c), item(b), item(a)},
			create:  []string{d.Key}, update: []string{b.Key}, deleted: []string{c.Key}, unchanged: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if err := s.ReplaceDesired("dc1", "r1", tc.desired); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceInventory("dc1", "exec", tc.held); err != nil {
				t.Fatal(err)
			}
			// Noise the diff must ignore: another fabric, another sink.
			if err := s.ReplaceInventory("dc1", "directory", []InventoryItem{item(res("VPC", "zz", "Z"))}); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceDesired("dc10", "r1", []Resource{res("VPC", "yy", "Y")}); err != nil {
				t.Fatal(err)
			}
			diff, err := s.Diff("dc1", "exec")
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("create", keys(diff.Create), tc.create)
			check("update", keys(diff.Update), tc.update)
			check("delete", keys(diff.Delete), tc.deleted)
			if diff.Unchanged != tc.unchanged {
				t.Errorf("unchanged = %d, want %d", diff.Unchanged, tc.unchanged)
			}
			sum := diff.Summary()
			if sum != (DiffSummary{len(tc.create), len(tc.update), len(tc.deleted), tc.unchanged}) {
				t.Errorf("summary = %+v", sum)
			}
			if diff.Empty() != (len(tc.create)+len(tc.update)+len(tc.deleted) == 0) {
				t.Errorf("Empty() = %v for %+v", diff.Empty(), sum)
			}
		})
	}
}

func TestDiffAfterApplyIsEmpty(t *testing.T) {
	s := newStore(t)
	a, b := res("VPC", "a", "A"), res("VPC", "b", "B")
	if err := s.ReplaceDesired("dc1", "r1", []Resource{a, b}); err != nil {
		t.Fatal(err)
	}
	diff, _ := s.Diff("dc1", "exec")
	var applied []InventoryItem
	for _, r := range append(diff.Create, diff.Update...) {
		applied = append(applied, InventoryItem{Key: r.Key, Hash: r.Hash, Body: r.Body})
	}
	if err := s.ApplyInventory("dc1", "exec", applied, nil); err != nil {
		t.Fatal(err)
	}
	diff, _ = s.Diff("dc1", "exec")
	if !diff.Empty() || diff.Unchanged != 2 {
		t.Errorf("after applying the diff: %+v, want nothing to do and 2 unchanged", diff.Summary())
	}
}
