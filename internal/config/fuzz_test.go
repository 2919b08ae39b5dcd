package config_test

import (
	"errors"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

// FuzzParse checks that Parse never panics or hangs, and that its result is
// either a config that keeps the validation promises or a ValidationError
// with at least one located problem.
func FuzzParse(f *testing.F) {
	example := readExample(f)
	uncommented, _ := uncommentExamples(f, example)
	for _, seed := range []string{
		example,
		uncommented,
		"",
		"---\n",
		"fabrics: &a [*a]\n",
		"fabrics:\n  - &f {name: a, source: {dir: {path: x}}, sinks: [*f]}\n",
		"fabrics:\n  - name: a\n    source: {git: {url: 'git@h:o/r', interval: 1}}\n",
		"listen: [\n",
		"a: &a [*a,*a,*a,*a]\nb: &b [*a,*a,*a,*a]\nfabrics: [*b,*b,*b,*b]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "fuzz.yaml", "")
		if err != nil {
			if cfg != nil {
				t.Fatal("a config and an error")
			}
			var verr *config.ValidationError
			if !errors.As(err, &verr) || len(verr.Errors) == 0 {
				t.Fatalf("want a non-empty ValidationError, got %T %v", err, err)
			}
			for _, e := range verr.Errors {
				if e.File != "fuzz.yaml" || e.Message == "" || e.Line < 0 {
					t.Fatalf("bad problem %+v", e)
				}
			}
			_ = err.Error()
			return
		}
		names := map[string]bool{}
		for _, fb := range cfg.Fabrics {
			if fb.Name == "" || names[fb.Name] {
				t.Fatalf("fabric name %q empty or repeated", fb.Name)
			}
			names[fb.Name] = true
			if (fb.Source.Git == nil) == (fb.Source.Dir == nil) {
				t.Fatalf("fabric %s: not exactly one source", fb.Name)
			}
			for _, s := range fb.Sinks {
				if (s.Directory == nil) == (s.Exec == nil) {
					t.Fatalf("fabric %s: sink without exactly one kind", fb.Name)
				}
			}
			_ = config.FabricHash(fb)
		}
	})
}
