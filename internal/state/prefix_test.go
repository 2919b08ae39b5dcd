package state

import "testing"

// TestPrefixScansDoNotMix holds rows of fabrics and sinks whose names are
// prefixes of each other ("dc1" of "dc10", "s" of "s2"): the primary key's
// prefix scans that list and delete a fabric's or a sink's rows must take
// only those.
func TestPrefixScansDoNotMix(t *testing.T) {
	s := newStore(t)
	r := res("VPC", "a", "A")
	for _, fabric := range []string{"dc1", "dc10"} {
		if err := s.ReplaceDesired(fabric, "r1", []Resource{r}); err != nil {
			t.Fatal(err)
		}
		for _, sink := range []string{"s", "s2"} {
			if err := s.ReplaceInventory(fabric, sink, []InventoryItem{item(r)}); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceOutcomes(fabric, sink, []ObjectOutcome{{Key: r.Key, Outcome: "applied"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Replacing sink s of dc1 with nothing leaves s2 and dc10 alone.
	if err := s.ReplaceInventory("dc1", "s", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceOutcomes("dc1", "s", nil); err != nil {
		t.Fatal(err)
	}
	check := func(fabric string, want [4]int) {
		t.Helper()
		rs, _ := s.Desired(nil, fabric)
		a, _ := s.Inventory(nil, fabric, "s")
		b, _ := s.Inventory(nil, fabric, "s2")
		o, _ := s.Outcomes(nil, fabric)
		if got := [4]int{len(rs), len(a), len(b), len(o)}; got != want {
			t.Errorf("%s: desired, inventory s, inventory s2, outcomes = %v, want %v", fabric, got, want)
		}
	}
	check("dc1", [4]int{1, 0, 1, 1})
	check("dc10", [4]int{1, 1, 1, 2})

	if err := s.DeleteFabric("dc1"); err != nil {
		t.Fatal(err)
	}
	check("dc1", [4]int{0, 0, 0, 0})
	check("dc10", [4]int{1, 1, 1, 2})
}
