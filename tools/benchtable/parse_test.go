package main

import (
	"reflect"
	"strings"
	"testing"
)

// Captured from `go test -bench` runs on the development machine (some
// trimmed to fewer metrics).
const (
	capturedIngest = `goos: linux
goarch: amd64
pkg: github.com/fgdproject/fgd/internal/ingest
cpu: AMD EPYC
BenchmarkIngest10k/disk-2         	       3	1402345678 ns/op	      1402 ingest-ms	        95.00 floor-ms	      3521 write-floor-ms	        14.76 x-floor	         0.3877 x-floors	        81.20 peak-rss-MiB	      7131 resources/s	512345678 B/op	 4123456 allocs/op
BenchmarkIngest10k/tmpfs-2        	       3	 440123456 ns/op	       440.0 ingest-ms	       146.0 floor-ms	        99.00 write-floor-ms	         3.014 x-floor	         1.797 x-floors	        81.20 peak-rss-MiB	     22720 resources/s	512345678 B/op	 4123456 allocs/op
PASS
ok  	github.com/fgdproject/fgd/internal/ingest	61.274s
`
	capturedFleet = `goos: linux
goarch: amd64
pkg: github.com/fgdproject/fgd/cmd/fgd
cpu: AMD EPYC
BenchmarkIdleFleet/fabrics=1-2         	       1	35147497745 ns/op	         0.007084 cpu-s-per-fabric-hour	         0.1050 first-syncs-s	         0 inotify-fallbacks	        27.02 rss-MiB	     27668 rss-per-fabric-KiB	         0 syncs-in-window
BenchmarkIdleFleet/rescan-cost-2       	       1	74384930705 ns/op	         0.3116 cpu-ms-per-rescan	         0.004504 cpu-s-per-fabric-hour-with-rescans	         1.826 first-syncs-s	         0 inotify-fallbacks	       598.0 rescans	         0 syncs-in-window
PASS
`
	// Two packages with a benchmark of one name, each run twice (-count 2).
	capturedTwoPackages = `pkg: github.com/fgdproject/fgd/reconciler
BenchmarkBurst5000-2   	       1	5312345678 ns/op	      5300 ms-last-write-to-managed	         4.000 syncs
BenchmarkBurst5000-2   	       1	4912345678 ns/op	      4900 ms-last-write-to-managed	         6.000 syncs
PASS
ok  	github.com/fgdproject/fgd/reconciler	40.1s
pkg: github.com/fgdproject/fgd/sources/dir
BenchmarkBurst5000-2   	       1	 912345678 ns/op	       310.0 ms-last-write-to-trigger	         2.000 triggers/burst
PASS
`
	// A benchmark that printed to stdout while running splits its line.
	capturedSplit = `pkg: github.com/fgdproject/fgd/cmd/fgd
BenchmarkWebhookToCommit-2   	some stray output
more stray output: 3 of 5
      10	  65350220 ns/op	        61.14 commit-ms	        65.35 published-ms
`
	capturedFail = `pkg: github.com/fgdproject/fgd/cmd/fgd
BenchmarkIdleFleet/fabrics=1-2         	       1	35147497745 ns/op	        27.02 rss-MiB
--- FAIL: BenchmarkIdleFleet
    --- FAIL: BenchmarkIdleFleet/fabrics=1000-2
        idlefleet_bench_test.go:140: gave up after 10m0s waiting for /readyz and 1000 first syncs
FAIL
exit status 1
FAIL	github.com/fgdproject/fgd/cmd/fgd	700.123s
`
)

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		want   []Result
		failed []Result
	}{
		{
			name: "sub-benchmarks with -benchmem",
			text: capturedIngest,
			want: []Result{
				{Pkg: "github.com/fgdproject/fgd/internal/ingest", Name: "BenchmarkIngest10k/disk", N: 3, Metrics: map[string]float64{
					"ns/op": 1402345678, "ingest-ms": 1402, "floor-ms": 95, "write-floor-ms": 3521, "x-floor": 14.76, "x-floors": 0.3877,
					"peak-rss-MiB": 81.2, "resources/s": 7131, "B/op": 512345678, "allocs/op": 4123456}},
				{Pkg: "github.com/fgdproject/fgd/internal/ingest", Name: "BenchmarkIngest10k/tmpfs", N: 3, Metrics: map[string]float64{
					"ns/op": 440123456, "ingest-ms": 440, "floor-ms": 146, "write-floor-ms": 99, "x-floor": 3.014, "x-floors": 1.797,
					"peak-rss-MiB": 81.2, "resources/s": 22720, "B/op": 512345678, "allocs/op": 4123456}},
			},
		},
		{
			name: "sub-benchmark names with = and -",
			text: capturedFleet,
			want: []Result{
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkIdleFleet/fabrics=1", N: 1, Metrics: map[string]float64{
					"ns/op": 35147497745, "cpu-s-per-fabric-hour": 0.007084, "first-syncs-s": 0.105, "inotify-fallbacks": 0,
					"rss-MiB": 27.02, "rss-per-fabric-KiB": 27668, "syncs-in-window": 0}},
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkIdleFleet/rescan-cost", N: 1, Metrics: map[string]float64{
					"ns/op": 74384930705, "cpu-ms-per-rescan": 0.3116, "cpu-s-per-fabric-hour-with-rescans": 0.004504, "first-syncs-s": 1.826,
					"inotify-fallbacks": 0, "rescans": 598, "syncs-in-window": 0}},
			},
		},
		{
			name: "two packages, repeated runs",
			text: capturedTwoPackages,
			want: []Result{
				{Pkg: "github.com/fgdproject/fgd/reconciler", Name: "BenchmarkBurst5000", N: 1, Metrics: map[string]float64{"ns/op": 5312345678, "ms-last-write-to-managed": 5300, "syncs": 4}},
				{Pkg: "github.com/fgdproject/fgd/reconciler", Name: "BenchmarkBurst5000", N: 1, Metrics: map[string]float64{"ns/op": 4912345678, "ms-last-write-to-managed": 4900, "syncs": 6}},
				{Pkg: "github.com/fgdproject/fgd/sources/dir", Name: "BenchmarkBurst5000", N: 1, Metrics: map[string]float64{"ns/op": 912345678, "ms-last-write-to-trigger": 310, "triggers/burst": 2}},
			},
		},
		{
			name: "a line split by output",
			text: capturedSplit,
			want: []Result{
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkWebhookToCommit", N: 10, Metrics: map[string]float64{"ns/op": 65350220, "commit-ms": 61.14, "published-ms": 65.35}},
			},
		},
		{
			name: "failures",
			text: capturedFail,
			want: []Result{
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkIdleFleet/fabrics=1", N: 1, Metrics: map[string]float64{"ns/op": 35147497745, "rss-MiB": 27.02}},
			},
			failed: []Result{
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkIdleFleet"},
				{Pkg: "github.com/fgdproject/fgd/cmd/fgd", Name: "BenchmarkIdleFleet/fabrics=1000"},
			},
		},
		{
			name: "no benchmark output",
			text: "?   \tgithub.com/fgdproject/fgd/internal/buildinfo\t[no test files]\nok  \tgithub.com/fgdproject/fgd/internal/config\t0.012s\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Results, c.want) {
				t.Errorf("results:\n got %+v\nwant %+v", got.Results, c.want)
			}
			if !reflect.DeepEqual(got.Failed, c.failed) {
				t.Errorf("failed:\n got %+v\nwant %+v", got.Failed, c.failed)
			}
		})
	}
}

func TestParseFiguresRejectsLogLines(t *testing.T) {
	for _, line := range []string{
		"",
		"3",                 // a count and nothing else
		"3 1.5",             // a value without its unit
		"3 1.5 ms/op 2",     // a dangling value
		"three 1.5 ms",      // not a count
		"0 1.5 ms",          // no iterations
		"12 files ingested", // a log line that starts with a number
		"10 fast ms",        // a word where a value goes
	} {
		if res, ok := parseFigures(strings.Fields(line)); ok {
			t.Errorf("parseFigures(%q) = %+v, want no result", line, res)
		}
	}
}

func TestStripProcs(t *testing.T) {
	cases := map[string]string{
		"BenchmarkX-2":                     "BenchmarkX",
		"BenchmarkX-16":                    "BenchmarkX",
		"BenchmarkX":                       "BenchmarkX",
		"BenchmarkIdleFleet/rescan-cost-2": "BenchmarkIdleFleet/rescan-cost",
		"BenchmarkIdleFleet/rescan-cost":   "BenchmarkIdleFleet/rescan-cost",
		"BenchmarkIdleFleet/fabrics=100-2": "BenchmarkIdleFleet/fabrics=100",
		"BenchmarkX-":                      "BenchmarkX-",
	}
	for in, want := range cases {
		if got := stripProcs(in); got != want {
			t.Errorf("stripProcs(%q) = %q, want %q", in, got, want)
		}
	}
}
