package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fgdproject/fgd/internal/config"
)

// checkResult is the --output json form of fgd check-config.
type checkResult struct {
	File    string              `json:"file"`
	Valid   bool                `json:"valid"`
	Fabrics []fabricSummary     `json:"fabrics,omitempty"`
	Errors  []config.FieldError `json:"errors,omitempty"`
}

type fabricSummary struct {
	Name      string   `json:"name"`
	Source    string   `json:"source"`
	Suspended bool     `json:"suspended,omitempty"`
	Sinks     []string `json:"sinks,omitempty"`
}

// checkConfigOpts are the flags of fgd check-config.
type checkConfigOpts struct {
	output *string
}

// flags defines the flag set of fgd check-config, which the command and
// shell completion both use.
func (o *checkConfigOpts) flags() *flag.FlagSet {
	fs := newFlagSet("check-config")
	o.output = outputFlag(fs)
	return fs
}

var checkConfigHelp = help{
	usage: "fgd check-config FILE [--output text|json]",
	about: `Checks a configuration file and reports every problem in it at once, each
with its line and key path (fabrics[0].source.git.interval), without
starting anything. Secret files it names must exist and must not be
readable by every user. docs/configuration.md describes every key.`,
	examples: []string{
		"fgd check-config /etc/fgd/config.yaml",
		"fgd check-config config.yaml --output json",
		"# after editing the daemon's config, before reloading it:",
		"fgd check-config /etc/fgd/config.yaml && systemctl reload fgd",
	},
	exits: "0  the file is valid\n1  the file is not valid, or cannot be read\n2  usage error",
}

// cmdCheckConfig validates a configuration file: exit 0 and a one-line
// summary when it is valid, 1 with every problem when it is not, 2 on a
// usage error.
func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	var o checkConfigOpts
	fs := o.flags()
	files, code, ok := parse(fs, checkConfigHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 1 {
		return usageFail(stdout, stderr, *o.output == outputJSON, "check-config", checkConfigHelp, fmt.Sprintf("want exactly one FILE, got %d", len(files)))
	}
	output := o.output
	file := files[0]

	res := checkResult{File: file}
	cfg, err := config.Load(file)
	var verr *config.ValidationError
	switch {
	case errors.As(err, &verr):
		res.Errors = verr.Errors
	case err != nil:
		res.Errors = []config.FieldError{{File: file, Message: err.Error()}}
	default:
		res.Valid = true
		for _, f := range cfg.Fabrics {
			fsum := fabricSummary{Name: f.Name, Source: f.Source.Kind(), Suspended: f.Suspended}
			for _, s := range f.Sinks {
				fsum.Sinks = append(fsum.Sinks, s.Kind())
			}
			res.Fabrics = append(res.Fabrics, fsum)
		}
	}

	if *output == outputJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else if res.Valid {
		fmt.Fprintln(stdout, safe(summary(res)))
	} else {
		// The messages quote the file's own keys and values: escaped.
		for _, e := range res.Errors {
			fmt.Fprintln(stderr, safe(e.Error()))
		}
		fmt.Fprintf(stderr, "%s: not valid, %s\n", safe(file), plural(len(res.Errors), "problem"))
	}
	if !res.Valid {
		return 1
	}
	return 0
}

// summary is the one-line text form of a valid configuration:
// "config.yaml: ok, 2 fabrics (dc1: git, lab: dir)".
func summary(res checkResult) string {
	s := fmt.Sprintf("%s: ok, %s", res.File, plural(len(res.Fabrics), "fabric"))
	if len(res.Fabrics) == 0 {
		return s
	}
	parts := make([]string, len(res.Fabrics))
	for i, f := range res.Fabrics {
		parts[i] = f.Name + ": " + f.Source
		if f.Suspended {
			parts[i] += " (suspended)"
		}
	}
	return s + " (" + strings.Join(parts, ", ") + ")"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
