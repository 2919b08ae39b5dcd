package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one result line of `go test -bench`: one run of one benchmark.
type Result struct {
	// Pkg is the import path of the package, from the `pkg:` line above.
	Pkg string
	// Name is the benchmark's name without the -GOMAXPROCS suffix, e.g.
	// "BenchmarkIdleFleet/fabrics=100".
	Name string
	// N is the iteration count.
	N int
	// Metrics maps each unit ("ns/op", "p99-ms", …) to its value.
	Metrics map[string]float64
}

// Input is everything the table is built from.
type Input struct {
	// Results are the result lines, in input order.
	Results []Result
	// Failed holds the names (without suffix) of benchmarks reported by a
	// `--- FAIL:` line, with the package they ran in.
	Failed []Result
}

// Parse reads `go test -bench` text output (any number of packages and
// runs, as go test prints them) and returns its results. Lines it does not
// know are skipped; a result line cut in two by output printed while the
// benchmark ran (its name on one line, its figures on a later one) is
// joined again.
func Parse(r io.Reader) (Input, error) {
	var in Input
	var pkg, pending string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg, pending = strings.TrimSpace(strings.TrimPrefix(line, "pkg: ")), ""
		case strings.HasPrefix(trimmed, "--- FAIL: Benchmark"):
			f := strings.Fields(strings.TrimPrefix(trimmed, "--- FAIL: "))
			in.Failed = append(in.Failed, Result{Pkg: pkg, Name: stripProcs(f[0])})
			pending = ""
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if res, ok := parseFigures(f[1:]); ok {
				res.Pkg, res.Name = pkg, stripProcs(f[0])
				in.Results = append(in.Results, res)
				pending = ""
			} else {
				pending = stripProcs(f[0])
			}
		case pending != "":
			if res, ok := parseFigures(strings.Fields(line)); ok {
				res.Pkg, res.Name = pkg, pending
				in.Results = append(in.Results, res)
				pending = ""
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Input{}, fmt.Errorf("read benchmark output: %w", err)
	}
	return in, nil
}

// parseFigures reads "N value unit value unit …". It accepts only a whole
// line of that shape, so a log line is never taken for figures.
func parseFigures(f []string) (Result, bool) {
	if len(f) < 3 || len(f)%2 != 1 {
		return Result{}, false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return Result{}, false
	}
	res := Result{N: n, Metrics: map[string]float64{}}
	for i := 1; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Result{}, false
		}
		res.Metrics[f[i+1]] = v
	}
	return res, true
}

// stripProcs removes the -GOMAXPROCS suffix go test adds to a benchmark's
// name when GOMAXPROCS > 1 ("BenchmarkX/a-b-2" → "BenchmarkX/a-b").
func stripProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}
