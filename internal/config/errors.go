package config

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// FieldError is one problem in a configuration file, at a line and a field
// path such as "fabrics[0].source.git.interval". It never holds a secret.
type FieldError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"` // 0 when the problem has no place in the file
	Path    string `json:"path,omitempty"` // "" for a problem of the file as a whole
	Message string `json:"message"`
}

// Error formats the problem as "file:line: path: message".
func (e FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ValidationError lists every problem found in a configuration file, in file
// order. Load and Parse return it (as error) when the file is not valid.
type ValidationError struct {
	Errors []FieldError
}

// Error prints the problems one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// maxProblems bounds the problems kept for one file. Past it, problems are
// only counted: a hostile or badly broken file (say, one anchor aliased a
// thousand times) must not cost unbounded time and memory.
const maxProblems = 100

// problems collects the problems of one file, for the decoder and the
// validator both.
type problems struct {
	file    string
	list    []FieldError
	dropped int
}

// full reports whether further problems are only counted, so that callers
// can skip the work of describing them.
func (p *problems) full() bool { return len(p.list) >= maxProblems }

func (p *problems) add(line int, path, format string, args ...any) {
	if p.full() {
		p.dropped++
		return
	}
	p.list = append(p.list, FieldError{File: p.file, Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// result returns the problems in file order, with a last line saying how
// many more were not kept.
func (p *problems) result() []FieldError {
	out := sortErrors(p.list)
	if p.dropped > 0 {
		out = append(out, FieldError{File: p.file, Message: fmt.Sprintf("and %d more problems not shown: fix the ones above first", p.dropped)})
	}
	return out
}

// sortErrors orders problems by line, keeping the order they were found in
// for problems on one line, and drops exact duplicates.
func sortErrors(errs []FieldError) []FieldError {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	out := errs[:0]
	for i, e := range errs {
		if i > 0 && e == errs[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// didYouMean returns the known key closest to an unknown one, or "" when no
// key is close enough to be a plausible typo. Case, "_" and "-" are ignored
// so that "tokenFile" finds "token_file".
func didYouMean(unknown string, known []string) string {
	u := normalizeKey(unknown)
	best, bestDist := "", -1
	for _, k := range known {
		d := levenshtein(u, normalizeKey(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(u)/3) {
		return best
	}
	// A key given without its prefix or suffix, e.g. "interval" for
	// "rescan_interval".
	for _, k := range known {
		if len(u) >= 4 && strings.Contains(normalizeKey(k), u) {
			return k
		}
	}
	return ""
}

func normalizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// levenshtein is the edit distance between a and b, capped: keys are short,
// and anything longer than 64 bytes is no typo of a known key.
func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
