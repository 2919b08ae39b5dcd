package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func parsed(t *testing.T, text string) Input {
	t.Helper()
	in, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestBuild(t *testing.T) {
	burst := regexp.MustCompile(`^BenchmarkBurst5000$`)
	cases := []struct {
		name string
		row  Row
		text string
		want Line
	}{
		{
			name: "met, with context and scale",
			row: Row{What: "ingest", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`), Unit: "ingest-ms",
				Scale: 0.001, Suffix: " s", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"},
				Context: []Context{{Label: "floor", Unit: "floor-ms", Suffix: " ms"}, {Label: "absent", Unit: "no-such-unit"}}},
			text: capturedIngest,
			want: Line{What: "ingest", Measured: "0.44 s; floor 146 ms", Target: "< 2 s", Met: "yes"},
		},
		{
			name: "not met",
			row: Row{What: "x-floor", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/disk$`), Unit: "x-floor",
				Suffix: "×", Target: Target{Op: "<=", Value: 3, Text: "≤ 3×"}},
			text: capturedIngest,
			want: Line{What: "x-floor", Measured: "14.8×", Target: "≤ 3×", Met: "no"},
		},
		{
			name: "at the bound, inclusive",
			row: Row{What: "x", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`), Unit: "x-floors",
				Suffix: "×", Target: Target{Op: "<=", Value: 1.797, Text: "≤ 1.797×"}},
			text: capturedIngest,
			want: Line{What: "x", Measured: "1.80×", Target: "≤ 1.797×", Met: "yes"},
		},
		{
			name: "at the bound, exclusive",
			row: Row{What: "x", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`), Unit: "x-floors",
				Suffix: "×", Target: Target{Op: "<", Value: 1.797, Text: "< 1.797×"}},
			text: capturedIngest,
			want: Line{What: "x", Measured: "1.80×", Target: "< 1.797×", Met: "no"},
		},
		{
			name: "our own target, no target",
			row: Row{What: "cpu", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1$`), Unit: "cpu-s-per-fabric-hour",
				Suffix: " s", Target: Target{Op: "<=", Value: 1, Text: "≤ 1 s", Ours: true}},
			text: capturedFleet,
			want: Line{What: "cpu", Measured: "0.0071 s", Target: "≤ 1 s (ours)", Met: "yes"},
		},
		{
			name: "no target",
			row:  Row{What: "rss", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1$`), Unit: "rss-MiB", Suffix: " MiB"},
			text: capturedFleet,
			want: Line{What: "rss", Measured: "27.0 MiB", Target: "—", Met: "—"},
		},
		{
			name: "not run: benchmark missing",
			row: Row{What: "webhook", Bench: regexp.MustCompile(`^BenchmarkWebhookToCommit$`), Unit: "commit-ms",
				Target: Target{Op: "<", Value: 1000, Text: "< 1 s"}},
			text: capturedIngest,
			want: Line{What: "webhook", Measured: "not run", Target: "< 1 s", Met: "—"},
		},
		{
			name: "not run: the benchmark ran without this metric",
			row: Row{What: "webhook", Bench: regexp.MustCompile(`^BenchmarkWebhookToCommit$`), Unit: "ms-webhook-to-commit",
				Target: Target{Op: "<", Value: 1000, Text: "< 1 s"}},
			text: capturedSplit,
			want: Line{What: "webhook", Measured: "not run", Target: "< 1 s", Met: "—"},
		},
		{
			name: "failed",
			row: Row{What: "fleet", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1000$`), Unit: "rss-MiB",
				Target: Target{Op: "<", Value: 500, Text: "< 500 MiB"}},
			text: capturedFail,
			want: Line{What: "fleet", Measured: "failed (see bench.out)", Target: "< 500 MiB", Met: "—"},
		},
		{
			name: "a failure elsewhere does not hide a result",
			row:  Row{What: "fleet", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1$`), Unit: "rss-MiB", Suffix: " MiB"},
			text: capturedFail,
			want: Line{What: "fleet", Measured: "27.0 MiB", Target: "—", Met: "—"},
		},
		{
			name: "median and range of repeated runs, one package only",
			row: Row{What: "syncs", Pkg: "reconciler", Bench: burst, Unit: "syncs",
				Target: Target{Op: "<", Value: 50, Text: "< 50"}, Context: []Context{{Label: "last write", Unit: "ms-last-write-to-managed", Scale: 0.001, Suffix: " s"}}},
			text: capturedTwoPackages,
			want: Line{What: "syncs", Measured: "5.00 (median of 2 runs, 4.00–6.00); last write 5.10 s", Target: "< 50", Met: "yes"},
		},
		{
			name: "the median meets the target, one run does not",
			row:  Row{What: "syncs", Pkg: "reconciler", Bench: burst, Unit: "syncs", Target: Target{Op: "<=", Value: 5, Text: "≤ 5"}},
			text: capturedTwoPackages + "pkg: github.com/fgdproject/fgd/reconciler\nBenchmarkBurst5000-2 1 1 ns/op 3 syncs\n",
			want: Line{What: "syncs", Measured: "4.00 (median of 3 runs, 3.00–6.00)", Target: "≤ 5", Met: "yes (not in 1 of 3 runs)"},
		},
		{
			name: "the median misses the target, one run meets it",
			row:  Row{What: "syncs", Pkg: "reconciler", Bench: burst, Unit: "syncs", Target: Target{Op: "<", Value: 5, Text: "< 5"}},
			text: capturedTwoPackages,
			want: Line{What: "syncs", Measured: "5.00 (median of 2 runs, 4.00–6.00)", Target: "< 5", Met: "no (met in 1 of 2 runs)"},
		},
		{
			name: "the package tail must match a whole path element",
			row:  Row{What: "syncs", Pkg: "dir", Bench: burst, Unit: "triggers/burst"},
			text: capturedTwoPackages,
			want: Line{What: "syncs", Measured: "2.00", Target: "—", Met: "—"},
		},
		{
			name: "a package tail that is only a suffix of a path element does not match",
			row:  Row{What: "syncs", Pkg: "ir", Bench: burst, Unit: "triggers/burst"},
			text: capturedTwoPackages,
			want: Line{What: "syncs", Measured: "not run", Target: "—", Met: "—"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Build([]Row{c.row}, parsed(t, c.text))
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("Build:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestNum(t *testing.T) {
	cases := map[float64]string{0: "0", 1234.4: "1234", 99.95: "100.0", 45.67: "45.7", 1.234: "1.23", 0.4567: "0.46",
		0.004567: "0.0046", -2.5: "-2.50", 0.1: "0.10"}
	for v, want := range cases {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	var b strings.Builder
	err := Render(&b, "Machine: test", []Line{
		{What: "a | b", Measured: "1 ms", Target: "< 2 ms", Met: "yes"},
		{What: "c", Measured: "not run", Target: "—", Met: "—"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Machine: test\n\n| what | measured | target | met |\n|---|---|---|---|\n| a \\| b | 1 ms | < 2 ms | yes |\n| c | not run | — | — |\n"
	if b.String() != want {
		t.Errorf("Render:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestRowsNameRealBenchmarks keeps the table honest about the code: every
// row names a package that exists, a benchmark function defined in it, and
// a unit that package's tests report. A renamed benchmark or metric fails
// here instead of turning into "not run".
func TestRowsNameRealBenchmarks(t *testing.T) {
	top := regexp.MustCompile(`^\^(Benchmark[A-Za-z0-9_]+)`)
	units := map[string]string{"ns/op": "", "B/op": "", "allocs/op": ""} // reported by go test itself
	for _, r := range rows {
		m := top.FindStringSubmatch(r.Bench.String())
		if m == nil || r.Pkg == "" || r.Unit == "" || r.What == "" {
			t.Errorf("row %q: needs What, Pkg, Unit and a Bench regexp starting with ^Benchmark…, got %q", r.What, r.Bench)
			continue
		}
		if r.Target.Op != "" && (r.Target.Op != "<" && r.Target.Op != "<=" || r.Target.Text == "") {
			t.Errorf("row %q: target %+v: Op must be < or <= and Text set", r.What, r.Target)
		}
		src := testSources(t, filepath.Join("..", "..", r.Pkg))
		if !strings.Contains(src, "func "+m[1]+"(b *testing.B)") {
			t.Errorf("row %q: %s defines no %s", r.What, r.Pkg, m[1])
		}
		for _, u := range append([]string{r.Unit}, contextUnits(r)...) {
			if _, builtin := units[u]; !builtin && !strings.Contains(src, `"`+u+`"`) {
				t.Errorf("row %q: no test of %s reports the unit %q", r.What, r.Pkg, u)
			}
		}
	}
}

func contextUnits(r Row) []string {
	var out []string
	for _, c := range r.Context {
		out = append(out, c.Unit)
	}
	return out
}

// testSources is the text of every _test.go file of the package in dir.
func testSources(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s (%v)", dir, err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestEveryRowFromAFullRun builds the table from the output of one full
// `make bench` on the development machine: every row must find its
// figures there.
func TestEveryRowFromAFullRun(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bench.out"))
	if err != nil {
		t.Fatal(err)
	}
	lines := Build(rows, parsed(t, string(data)))
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(lines), len(rows))
	}
	for _, l := range lines {
		if l.Measured == "not run" || strings.HasPrefix(l.Measured, "failed") {
			t.Errorf("row %q: %s", l.What, l.Measured)
		}
		if l.Target != "—" && l.Met == "—" {
			t.Errorf("row %q has a target but no verdict", l.What)
		}
	}
}

func TestMachine(t *testing.T) {
	full := t.TempDir()
	writeFile(t, filepath.Join(full, "cpuinfo"), "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
	writeFile(t, filepath.Join(full, "meminfo"), "MemTotal:       24634832 kB\nMemFree:        23000000 kB\n")
	writeFile(t, filepath.Join(full, "sys", "kernel", "osrelease"), "6.18.44\n")
	cases := []struct {
		name, proc, want string
	}{
		{"everything readable", full, "Machine: 2 cores, AMD EPYC 7B13, 23.5 GiB RAM, go1.26.8, Linux 6.18.44"},
		{"nothing readable", filepath.Join(full, "missing"), "Machine: 2 cores, unknown CPU, unknown RAM, go1.26.8, unknown kernel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Machine(c.proc, 2, "go1.26.8"); got != c.want {
				t.Errorf("Machine = %q, want %q", got, c.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The rows table is data; Build must return one line per row, in order.
func TestBuildKeepsRowOrder(t *testing.T) {
	got := Build(rows, Input{})
	var want []string
	for _, r := range rows {
		want = append(want, r.What)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.What)
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order: got %v, want %v", names, want)
	}
}
