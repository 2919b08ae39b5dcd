package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The CI examples and the pre-commit hook call fgd with flags it has: a
// renamed flag would otherwise break every pipeline that copied them.
func TestCIExamplesUseRealFlags(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "ci", "*.yml"))
	files = append(files, filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if len(files) < 3 {
		t.Fatalf("examples/ci has %d workflow files, want the GitHub and GitLab ones", len(files)-1)
	}
	call := regexp.MustCompile(`\bfgd (plan|ingest)\b([^<|#\n]*)`)
	known := map[string]map[string]bool{}
	for _, name := range []string{"plan", "ingest"} {
		known[name] = map[string]bool{}
		for _, f := range visibleFlags((&ingestOpts{name: name}).flags()) {
			known[name][f.Name] = true
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		calls := call.FindAllStringSubmatch(string(b), -1)
		if len(calls) == 0 {
			t.Errorf("%s runs no fgd plan", f)
		}
		for _, c := range calls {
			for _, w := range strings.Fields(c[2]) {
				if flag, ok := strings.CutPrefix(w, "--"); ok && !known[c[1]][strings.SplitN(flag, "=", 2)[0]] {
					t.Errorf("%s: fgd %s has no flag %s", f, c[1], w)
				}
			}
		}
	}
}
