package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// historyRecords is the archive log's length in BenchmarkArchiveLogHistory.
const historyRecords = 100_000

// BenchmarkArchiveLogHistory is the archive log's cost per sync: one new
// file ingested into an FGD whose log holds 100,000 earlier records
// (segments and a full recent part, as fgd leaves them), against the same
// sync into an FGD with an empty log. x-time is the ratio of the times
// (target ≤ 1.5×: the cost of a sync does not grow with the history);
// extra-alloc-MiB is what such a sync allocates beyond the empty log's
// (target < 100 MiB), measured in-process (runtime.MemStats.TotalAlloc).
// The two FGDs take turns, so both see the same machine load.
func BenchmarkArchiveLogHistory(b *testing.B) {
	reg := registry(b)
	empty, full := b.TempDir(), b.TempDir()
	run(b, empty, Options{Fabric: "bench"})
	writeHistory(b, full, historyRecords)
	run(b, full, Options{Fabric: "bench"})
	if n := countRecords(b, full); n != historyRecords {
		b.Fatalf("history holds %d records, want %d", n, historyRecords)
	}
	var took [2]time.Duration
	var alloc [2]uint64
	sync := func(k int, root string, i int) {
		write(b, filepath.Join(root, "raw", fmt.Sprintf("new-%d.yaml", i)), []byte(testdocs.VPC(fmt.Sprintf("new-%d", i))))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		rep, err := Run(context.Background(), root, reg, Options{Fabric: "bench", Now: fixedNow})
		took[k] += time.Since(t0)
		runtime.ReadMemStats(&m1)
		alloc[k] += m1.TotalAlloc - m0.TotalAlloc
		if err != nil || rep.Created != 1 || rep.Failed != 0 {
			b.Fatalf("sync %d of %s: %v (created %d, failed %d)", i, root, err, rep.Created, rep.Failed)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sync(0, empty, i)
		sync(1, full, i)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(took[0].Microseconds())/1000/n, "empty-ms")
	b.ReportMetric(float64(took[1].Microseconds())/1000/n, "history-ms")
	b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "x-time")
	b.ReportMetric(float64(alloc[0])/n/(1<<20), "empty-alloc-MiB")
	b.ReportMetric(float64(alloc[1])/n/(1<<20), "history-alloc-MiB")
	b.ReportMetric(float64(alloc[1])/float64(alloc[0]), "x-alloc")
	b.ReportMetric((float64(alloc[1])-float64(alloc[0]))/n/(1<<20), "extra-alloc-MiB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MiB")
}

// writeHistory gives root an archive log of n records in the shape fgd
// leaves it: full segments, the rest in archive-log.yaml.
func writeHistory(tb testing.TB, root string, n int) {
	tb.Helper()
	l := &archiveLog{seen: map[string]bool{}, dirty: true}
	for i := range n {
		if _, err := l.add(Record{Path: fmt.Sprintf("raw/old-%06d.yaml", i), SHA256: fmt.Sprintf("%064x", i),
			ArchivedAs: fmt.Sprintf(".hnp/archive/old-%06d.yaml", i), Documents: 1, Outcome: OutcomeIngested,
			When: "2026-01-02T03:04:05Z"}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, ".hnp"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := l.write(root); err != nil {
		tb.Fatal(err)
	}
}

// countRecords counts the records of root's archive log, segments
// included, by their first lines (fgd writes one "- path: " line per record).
func countRecords(tb testing.TB, root string) int {
	tb.Helper()
	segs, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir), "*.yaml"))
	n := 0
	for _, p := range append(segs, filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog))) {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		n += bytes.Count(data, []byte("\n- path: "))
		if bytes.HasPrefix(data, []byte("- path: ")) {
			n++
		}
	}
	return n
}
