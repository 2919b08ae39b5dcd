package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), with the build
// events of `go test -json` since Go 1.24.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// skip is one skipped test and why.
type skip struct {
	pkg, test, reason string
}

// summary turns the event stream into plain go test output.
type summary struct {
	w      io.Writer
	failed bool
	// pending holds each running test's output until it ends: printed
	// when it fails, dropped when it passes, mined for the reason when it
	// is skipped.
	pending map[[2]string][]string
	skips   []skip
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, pending: map[[2]string][]string{}}
}

// read consumes the stream; a line that is not JSON is printed as is.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(s.w, sc.Text())
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	key := [2]string{e.Package, e.Test}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.w, e.Output)
	case e.Action == "build-fail":
		s.failed = true
	case e.Test == "" && e.Action == "output":
		// Package-level lines: the closing ok/FAIL line, a panic or a
		// timeout's dump. The bare PASS of a passing package is noise.
		if strings.TrimSpace(e.Output) != "PASS" {
			fmt.Fprint(s.w, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		s.failed = true
		s.flush(e.Package) // tests a panic or timeout left unfinished
	case e.Action == "output":
		if !isFraming(e.Output) {
			s.pending[key] = append(s.pending[key], e.Output)
		}
	case e.Action == "fail":
		s.failed = true
		s.printFailure(s.pending[key])
		delete(s.pending, key)
	case e.Test == "" && e.Action == "skip":
		// A package without test files: go test's "?" line says so.
		delete(s.pending, key)
	case e.Action == "skip":
		s.skips = append(s.skips, skip{pkg: e.Package, test: e.Test, reason: reason(s.pending[key])})
		delete(s.pending, key)
	case e.Action == "pass":
		delete(s.pending, key)
	}
}

// printFailure prints a failed test's output as a plain go test does: the
// "--- FAIL" line first (the JSON stream has it last), then what it logged.
func (s *summary) printFailure(lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
			fmt.Fprint(s.w, l)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
			fmt.Fprint(s.w, l)
		}
	}
}

// isFraming reports the lines a plain go test does not print: the -v
// framing of runs, pauses and continuations.
func isFraming(line string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// reason is what a skipped test logged, on one line.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}

// flush prints the output of pkg's tests that never ended.
func (s *summary) flush(pkg string) {
	var keys [][2]string
	for k := range s.pending {
		if k[0] == pkg {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][1] < keys[j][1] })
	for _, k := range keys {
		for _, l := range s.pending[k] {
			fmt.Fprint(s.w, l)
		}
		delete(s.pending, k)
	}
}

// finish prints the skipped tests, or that there were none.
func (s *summary) finish() {
	if len(s.skips) == 0 {
		fmt.Fprintln(s.w, "skipped: 0")
		return
	}
	fmt.Fprintf(s.w, "skipped: %d\n", len(s.skips))
	for _, k := range s.skips {
		fmt.Fprintf(s.w, "  %s %s: %s\n", k.pkg, k.test, k.reason)
	}
}
