package directory

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkApply publishes a fabric of 50 resources, one of them changed
// each time: a new tree written, made durable and swapped in, and the old
// ones collected.
func BenchmarkApply(b *testing.B) {
	p, err := New(Options{Path: b.TempDir(), Prune: true})
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]Manifest, 50)
	for i := range ms {
		ms[i] = Manifest{Path: fmt.Sprintf("vpcs/vpc-%d.yaml", i), Body: fmt.Appendf(nil, "kind: VPC\nmetadata:\n  name: vpc-%d\nspec: {}\n", i)}
	}
	n := 0
	for b.Loop() {
		ms[n%len(ms)].Body = fmt.Appendf(nil, "kind: VPC\nspec: {rev: %d}\n", n)
		if _, err := p.Apply(context.Background(), fmt.Sprint(n), ms); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "trees/s")
}
