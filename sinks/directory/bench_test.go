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

// BenchmarkPublishOneChange5000 publishes a 5,000-resource fabric with one
// resource changed each time: the changed file and the inventory are
// written, the other 4,999 hard-linked from the previous tree.
func BenchmarkPublishOneChange5000(b *testing.B) {
	p, err := New(Options{Path: b.TempDir(), Prune: true})
	if err != nil {
		b.Fatal(err)
	}
	ms := fabric(5000)
	if _, err := p.Apply(context.Background(), "r0", ms); err != nil {
		b.Fatal(err)
	}
	var written, linked, failed, n int
	for b.Loop() {
		i := (n * 7919) % len(ms)
		ms[i].Body = fmt.Appendf(nil, "kind: VPC\nmetadata:\n  name: vpc-%d\nspec: {rev: %d}\n", i, n)
		res, err := p.Apply(context.Background(), fmt.Sprint("r", n+1), ms)
		if err != nil {
			b.Fatal(err)
		}
		written += res.Written
		linked += res.Linked
		failed += res.LinkFailed
		n++
	}
	b.ReportMetric(float64(written)/float64(n), "files-written/op")
	b.ReportMetric(float64(linked)/float64(n), "files-linked/op")
	b.ReportMetric(float64(failed)/float64(n), "link-fallbacks/op")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "publish-ms")
}
