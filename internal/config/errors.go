package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fgdproject/fgd/internal/suggest"
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
// key is close enough to be a plausible typo.
func didYouMean(unknown string, known []string) string {
	if best := suggest.Nearest(unknown, known); best != "" {
		return best
	}
	// A key given without its prefix or suffix, e.g. "interval" for
	// "rescan_interval".
	u := suggest.Fold(unknown)
	for _, k := range known {
		if len(u) >= 4 && strings.Contains(suggest.Fold(k), u) {
			return k
		}
	}
	return ""
}
