package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resource"
)

// cmdIngest runs `fgd ingest DIR`: it ingests raw/ (and stray YAML) into
// managed/ and unmanaged/. Exit 0 when every file was handled (routing to
// unmanaged/ is handling it), 1 on a fatal error or a file left in place.
func cmdIngest(args []string, stdout, stderr io.Writer) int {
	return ingestCommand("ingest", args, stdout, stderr)
}

// cmdPlan runs `fgd plan DIR`: what ingest would do, writing nothing. With
// --detailed-exitcode: 0 nothing to do, 2 changes pending, 1 error.
func cmdPlan(args []string, stdout, stderr io.Writer) int {
	return ingestCommand("plan", args, stdout, stderr)
}

func ingestCommand(name string, args []string, stdout, stderr io.Writer) int {
	dry := name == "plan"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fabric := fs.String("fabric", "", "fabric name for provenance annotations (default: the manifest's, else the folder's name)")
	output := fs.String("output", "text", "output format: text or json")
	lockTimeout := fs.Duration("lock-timeout", ingest.DefaultLockTimeout, "how long to wait for another fgd working on the same FGD")
	detailed := false
	if dry {
		fs.BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there is nothing to do, 2 when changes are pending, 1 on error")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fgd %s DIR [flags]\n\n", name)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "fgd %s: give exactly one FGD folder (got %d arguments); see fgd %s --help\n", name, len(pos), name)
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "fgd %s: --output must be text or json, not %q\n", name, *output)
		return 2
	}
	dir := pos[0]
	if *fabric == "" {
		*fabric = ingest.DefaultFabric(dir)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reg, err := resource.NewRegistry()
	if err != nil {
		fmt.Fprintf(stderr, "fgd %s: load the embedded CRD schemas: %v\n", name, err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := ingest.Run(ctx, dir, reg, ingest.Options{
		Fabric: *fabric, DryRun: dry, LockTimeout: *lockTimeout, Logger: logger, Now: time.Now,
	})
	if err != nil {
		fmt.Fprintf(stderr, "fgd %s: %s\n", name, strings.TrimPrefix(err.Error(), "fgd: "))
		return 1
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "fgd %s: write output: %v\n", name, err)
			return 1
		}
	} else {
		writeText(stdout, name, rep)
	}
	for _, e := range rep.Errors {
		if e.Document < 0 && isFailure(rep, e.File) {
			fmt.Fprintf(stderr, "fgd %s: %s: %s; fix: %s\n", name, e.File, e.Message, e.Hint)
		}
	}
	switch {
	case rep.Failures():
		return 1
	case dry && detailed && rep.Changed:
		return 2
	}
	return 0
}

// isFailure reports whether file was left in place (not merely rejected).
func isFailure(rep *ingest.Report, file string) bool {
	for _, f := range rep.Files {
		if f.Path == file {
			return f.Outcome == ingest.OutcomeError
		}
	}
	return true // a discovery error: no file result
}

// parseInterspersed parses flags placed before or after the positional
// arguments (fgd ingest DIR --fabric x) and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
