package directory

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/reconciler/contract"
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

// BenchmarkPublishOneChange5000 is the directory sink's part of a sync of a
// 5,000-resource fabric with one resource changed each time: the sink
// observes its live tree (through the stat cache, so only files whose
// stamp moved are read) and publishes, writing the changed file and the
// inventory and hard-linking the other 4,999 from the previous tree.
func BenchmarkPublishOneChange5000(b *testing.B) {
	p, err := New(Options{Path: b.TempDir(), Prune: true})
	if err != nil {
		b.Fatal(err)
	}
	// Syncs come 3 s apart on the sink's clock: further apart than
	// fgd.RacyWindow, so the file the last one wrote is not racy (syncs
	// closer together read again the files written within 2 s).
	clock := time.Now()
	p.cache.now = func() time.Time { return clock }
	s := NewSink(p)
	ctx := context.Background()
	ms := fabric(5000)
	req := contract.Request{Revision: "r0", Desired: make([]contract.Resource, len(ms))}
	for i, m := range ms {
		req.Desired[i] = resourceOf(m)
	}
	if _, err := s.Observe(ctx, req.Desired); err != nil {
		b.Fatal(err)
	}
	if _, err := s.apply(ctx, req); err != nil {
		b.Fatal(err)
	}
	// The fabric was published a while ago (a file written within the
	// last two seconds is read again on every observe), and the first
	// read of the tree is a full pass; the syncs measured are neither.
	age(b, current(b, p.opts.Path), time.Hour)
	if _, err := s.Observe(ctx, req.Desired); err != nil {
		b.Fatal(err)
	}
	readBefore := p.cache.reads.Load()
	var written, linked, failed, n int
	for b.Loop() {
		clock = clock.Add(3 * time.Second)
		i := (n * 7919) % len(ms)
		ms[i].Body = fmt.Appendf(nil, "kind: VPC\nmetadata:\n  name: vpc-%d\nspec: {rev: %d}\n", i, n)
		req.Desired[i] = resourceOf(ms[i])
		req.Revision = fmt.Sprint("r", n+1)
		if _, err := s.Observe(ctx, req.Desired); err != nil {
			b.Fatal(err)
		}
		res, err := s.apply(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		written += res.Written
		linked += res.Linked
		failed += res.LinkFailed
		n++
	}
	b.ReportMetric(float64(p.cache.reads.Load()-readBefore)/float64(n), "files-read/op")
	b.ReportMetric(float64(written)/float64(n), "files-written/op")
	b.ReportMetric(float64(linked)/float64(n), "files-linked/op")
	b.ReportMetric(float64(failed)/float64(n), "link-fallbacks/op")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "publish-ms")
}

// age sets the modification time of every file below dir back by d.
func age(tb testing.TB, dir string, d time.Duration) {
	tb.Helper()
	then := time.Now().Add(-d)
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		return os.Chtimes(path, then, then)
	})
	if err != nil {
		tb.Fatal(err)
	}
}
