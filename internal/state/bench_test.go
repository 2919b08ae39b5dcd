package state

import (
	"fmt"
	"testing"
)

// BenchmarkReplaceDesiredAndDiff is one fabric's reconciliation step on the
// store: its desired set of 50 replaced, then diffed against a sink that
// holds the previous revision, among 1,000 fabrics.
func BenchmarkReplaceDesiredAndDiff(b *testing.B) {
	const fabrics, perFabric = 1000, 50
	s := newStore(b)
	sets := make([][]Resource, 2)
	for v := range sets {
		for i := range perFabric {
			sets[v] = append(sets[v], res("VPC", fmt.Sprintf("vpc-%d", i), fmt.Sprintf("spec %d of revision %d", i, v+i%2*v)))
		}
	}
	for f := range fabrics {
		name := fmt.Sprintf("f%04d", f)
		if err := s.ReplaceDesired(name, "r0", sets[0]); err != nil {
			b.Fatal(err)
		}
		var inv []InventoryItem
		for _, r := range sets[0] {
			inv = append(inv, item(r))
		}
		if err := s.ReplaceInventory(name, "exec", inv); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("f%04d", i%fabrics)
		if err := s.ReplaceDesired(name, "r", sets[i%2]); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Diff(name, "exec"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perFabric)/b.Elapsed().Seconds(), "resources/s")
}
