package main

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Row is one line of the table: one metric of one benchmark, its label and
// its target.
type Row struct {
	// What the row measures, as the reader should read it.
	What string
	// Pkg is the tail of the package's import path ("internal/ingest");
	// two packages may have benchmarks of one name.
	Pkg string
	// Bench matches the benchmark's name without the -GOMAXPROCS suffix.
	Bench *regexp.Regexp
	// Unit is the metric's unit as the benchmark reports it ("p99-ms").
	Unit string
	// Scale multiplies the value for display (0.001 shows ms as s); 0 is 1.
	Scale float64
	// Suffix follows the displayed number (" ms", "×").
	Suffix string
	// Target is what the value should meet; its zero value is no target.
	Target Target
	// Context lists other metrics of the same benchmark, shown in
	// parentheses after the value (medians when there are several runs).
	Context []Context
}

// Target is a bound a row's value must stay under.
type Target struct {
	// Op is "<" or "<="; empty means the row has no target.
	Op string
	// Value is the bound, in the metric's own unit (before Scale).
	Value float64
	// Text is the target as the table shows it ("< 2 s").
	Text string
	// Ours marks a target this project set itself, where the issues gave
	// none.
	Ours bool
}

// Context is a metric shown beside a row's value.
type Context struct {
	Label, Unit, Suffix string
	Scale               float64
}

// Line is a row as the table prints it.
type Line struct {
	What, Measured, Target, Met string
}

// Build turns rows and parsed results into table lines. A row whose
// benchmark has no result says "not run" (or "failed" when go test said
// so), never a guess. Several results of one benchmark (-count) show as
// their median with the range and the number of runs; met is judged on the
// median, and says so when some runs fell on the other side.
func Build(rows []Row, in Input) []Line {
	out := make([]Line, 0, len(rows))
	for _, r := range rows {
		l := Line{What: r.What, Target: targetText(r.Target), Met: "—"}
		vals := values(r, in.Results, r.Unit)
		switch {
		case len(vals) == 0 && failed(r, in.Failed):
			l.Measured = "failed (see bench.out)"
		case len(vals) == 0:
			l.Measured = "not run"
		default:
			l.Measured = measured(r, vals) + contextText(r, in.Results)
			l.Met = met(r.Target, vals)
		}
		out = append(out, l)
	}
	return out
}

// matches reports whether a result (or failure) belongs to row r.
func (r Row) matches(res Result) bool {
	if r.Pkg != "" && res.Pkg != r.Pkg && !strings.HasSuffix(res.Pkg, "/"+r.Pkg) {
		return false
	}
	return r.Bench.MatchString(res.Name)
}

// values returns the unit's values over every matching result, sorted.
func values(r Row, results []Result, unit string) []float64 {
	var vals []float64
	for _, res := range results {
		if v, ok := res.Metrics[unit]; ok && r.matches(res) {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return vals
}

func failed(r Row, fails []Result) bool {
	return slices.ContainsFunc(fails, r.matches)
}

// median of sorted values.
func median(vals []float64) float64 {
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

func measured(r Row, vals []float64) string {
	s := scale(r.Scale)
	m := num(median(vals)*s) + r.Suffix
	if len(vals) == 1 {
		return m
	}
	return fmt.Sprintf("%s (median of %d runs, %s–%s%s)", m, len(vals), num(vals[0]*s), num(vals[len(vals)-1]*s), r.Suffix)
}

func contextText(r Row, results []Result) string {
	var parts []string
	for _, c := range r.Context {
		if vals := values(r, results, c.Unit); len(vals) > 0 {
			parts = append(parts, strings.TrimSpace(c.Label+" "+num(median(vals)*scale(c.Scale))+c.Suffix))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

func targetText(t Target) string {
	switch {
	case t.Op == "":
		return "—"
	case t.Ours:
		return t.Text + " (ours)"
	default:
		return t.Text
	}
}

// met judges the median against the target.
func met(t Target, vals []float64) string {
	if t.Op == "" {
		return "—"
	}
	ok := func(v float64) bool {
		if t.Op == "<" {
			return v < t.Value
		}
		return v <= t.Value
	}
	good := 0
	for _, v := range vals {
		if ok(v) {
			good++
		}
	}
	switch {
	case ok(median(vals)) && good == len(vals):
		return "yes"
	case ok(median(vals)):
		return fmt.Sprintf("yes (not in %d of %d runs)", len(vals)-good, len(vals))
	case good > 0:
		return fmt.Sprintf("no (met in %d of %d runs)", good, len(vals))
	default:
		return "no"
	}
}

func scale(s float64) float64 {
	if s == 0 {
		return 1
	}
	return s
}

// num formats v with about three significant digits and no exponent:
// 1234 → "1234", 45.67 → "45.7", 1.234 → "1.23", 0.004567 → "0.0046".
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		// Two significant digits below 1.
		return strconv.FormatFloat(v, 'f', int(-math.Floor(math.Log10(a)))+1, 64)
	}
}

// Render writes the machine line and the markdown table.
func Render(w io.Writer, machine string, lines []Line) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", machine)
	b.WriteString("| what | measured | target | met |\n|---|---|---|---|\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(l.What), cell(l.Measured), cell(l.Target), cell(l.Met))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a value from breaking the markdown table.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
