package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/ingest"
)

// planFiles is `fgd plan --files FILE...`, the form a pre-commit hook
// calls with the changed files: it plans every FGD those files belong to,
// once each, in path order. Files outside any FGD are no concern of fgd's.
// The exit code is the worst of the FGDs': 1, then 2, then 0.
func planFiles(o *ingestOpts, files []string, stdout, stderr io.Writer) int {
	var roots []string
	for _, f := range files {
		if r, ok := fgdRootOf(f); ok && !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	slices.Sort(roots)
	code := 0
	for _, r := range roots {
		switch c := ingestOne(o, r, stdout, stderr); {
		case c == 1:
			code = 1
		case c == 2 && code == 0:
			code = 2
		}
	}
	return code
}

// fgdRootOf finds the FGD a file belongs to: the nearest folder above it
// that holds .hnp/manifest.yaml, or that holds raw/ and managed/, or, for
// a file dropped in the raw/ of a new FGD, the folder above raw/.
func fgdRootOf(file string) (string, bool) {
	dir := filepath.Dir(filepath.Clean(file))
	if filepath.Base(dir) == fgd.RawDir {
		return filepath.Dir(dir), true
	}
	for {
		if isFile(filepath.Join(dir, filepath.FromSlash(fgd.ManifestFile))) ||
			isDir(filepath.Join(dir, fgd.RawDir)) && isDir(filepath.Join(dir, fgd.ManagedDir)) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir || filepath.Base(dir) == ".git" {
			return "", false
		}
		dir = parent
	}
}

func isFile(p string) bool { fi, err := os.Lstat(p); return err == nil && fi.Mode().IsRegular() }
func isDir(p string) bool  { fi, err := os.Lstat(p); return err == nil && fi.IsDir() }

// printRejected writes one line per document the run rejected, as
// "FILE:LINE: PATH: MESSAGE (hint: ...)" with FILE as the user reaches it
// (below dir), the form editors and CI logs link to. It reports whether
// there was any.
func printRejected(w io.Writer, name, dir string, rep *ingest.Report) bool {
	found := false
	for _, f := range rep.Files {
		if f.Outcome != ingest.OutcomeUnmanaged && f.Outcome != ingest.OutcomePartial {
			continue
		}
		for _, e := range rep.Errors {
			if e.File != f.Path {
				continue
			}
			found = true
			where := filepath.Join(dir, filepath.FromSlash(e.File))
			if e.Line > 0 {
				where = fmt.Sprintf("%s:%d", where, e.Line)
			}
			msg := e.Message
			if e.Path != "" {
				msg = e.Path + ": " + msg
			}
			if e.Hint != "" {
				msg += " (hint: " + e.Hint + ")"
			}
			fmt.Fprintf(w, "fgd %s: %s: %s\n", name, safe(where), safe(msg))
		}
	}
	return found
}
