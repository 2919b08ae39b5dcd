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

// cmdCheckConfig validates a configuration file: exit 0 and a one-line
// summary when it is valid, 1 with every problem when it is not, 2 on a
// usage error.
func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fgd check-config FILE [--output text|json]")
		fmt.Fprintln(stderr, "\nChecks a configuration file and reports every problem in it.")
		fmt.Fprintln(stderr, "Exit status: 0 valid, 1 not valid, 2 usage error.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "fgd check-config: want exactly one FILE, got %d\n", len(files))
		fs.Usage()
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "fgd check-config: --output must be text or json, not %q\n", *output)
		return 2
	}
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

	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else if res.Valid {
		fmt.Fprintln(stdout, summary(res))
	} else {
		for _, e := range res.Errors {
			fmt.Fprintln(stderr, e.Error())
		}
		fmt.Fprintf(stderr, "%s: not valid, %s\n", file, plural(len(res.Errors), "problem"))
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
