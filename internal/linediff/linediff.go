// Package linediff compares two small texts line by line, for showing
// what a sync changed in a resource's YAML. It is built for normalized
// resources (tens to hundreds of lines): the comparison is bounded, and
// texts past the bound are reported as replaced whole.
package linediff

import "strings"

// Op says what happened to a line.
type Op byte

// Line operations.
const (
	Same Op = ' '
	Add  Op = '+'
	Del  Op = '-'
)

// Line is one line of a diff.
type Line struct {
	Op   Op
	Text string
}

// MaxLines bounds each side of a comparison: the table it fills grows with
// the product of the two lengths.
const MaxLines = 2000

// Diff returns the lines of a and b as an edit script: the longest common
// subsequence of lines kept, the rest deleted from a or added from b.
// Texts longer than MaxLines lines are given as all of a deleted and all
// of b added.
func Diff(a, b string) []Line {
	x, y := split(a), split(b)
	if len(x) > MaxLines || len(y) > MaxLines {
		out := make([]Line, 0, len(x)+len(y))
		for _, l := range x {
			out = append(out, Line{Del, l})
		}
		for _, l := range y {
			out = append(out, Line{Add, l})
		}
		return out
	}
	// lcs[i][j] is the length of the longest common subsequence of
	// x[i:] and y[j:].
	lcs := make([][]int32, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Line
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, Line{Same, x[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, Line{Del, x[i]})
			i++
		default:
			out = append(out, Line{Add, y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, Line{Del, x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, Line{Add, y[j]})
	}
	return out
}

// Hunks keeps the changed lines of d with context lines of unchanged text
// around each, and drops the rest; each run of dropped lines becomes one
// Line{Same, "…"} marker. Without a change it returns nothing.
func Hunks(d []Line, context int) []Line {
	keep := make([]bool, len(d))
	for i, l := range d {
		if l.Op == Same {
			continue
		}
		for k := max(0, i-context); k <= min(len(d)-1, i+context); k++ {
			keep[k] = true
		}
	}
	var out []Line
	skipped := false
	for i, l := range d {
		if !keep[i] {
			skipped = true
			continue
		}
		if skipped {
			out = append(out, Line{Same, "…"})
		}
		skipped = false
		out = append(out, l)
	}
	if skipped && len(out) > 0 {
		out = append(out, Line{Same, "…"})
	}
	return out
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
