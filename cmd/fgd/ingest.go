package main

import (
	"context"
	"encoding/json"
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
	"github.com/fgdproject/fgd/internal/logging"
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

// ingestOpts are the flags of fgd ingest and fgd plan (plan adds
// --detailed-exitcode).
type ingestOpts struct {
	name        string // "ingest" or "plan"
	fabric      *string
	output      *string
	lockTimeout *time.Duration
	detailed    bool
	// files and failOnRejected are plan's modes for hooks and CI (see
	// plan_files.go).
	files          bool
	failOnRejected bool
}

// flags defines the flag set of o.name, which the command and shell
// completion both use.
func (o *ingestOpts) flags() *flag.FlagSet {
	fs := newFlagSet(o.name)
	o.fabric = fs.String("fabric", "", "the fabric's `NAME` in provenance annotations (default: the manifest's fabric, else the folder's name)")
	o.output = outputFlag(fs)
	o.lockTimeout = fs.Duration("lock-timeout", ingest.DefaultLockTimeout, "wait at most this `DURATION` while another fgd works on the same FGD")
	if o.name == "plan" {
		fs.BoolVar(&o.detailed, "detailed-exitcode", false, "exit 0 when there is nothing to do, 2 when changes are pending, 1 on error")
		fs.BoolVar(&o.files, "files", false, "the arguments are files (as a pre-commit hook gets them): plan each FGD they belong to")
		fs.BoolVar(&o.failOnRejected, "fail-on-rejected", false, "exit 1 when a document would be rejected, naming its file and line")
	}
	return fs
}

var ingestHelp = help{
	usage: "fgd ingest DIR [--fabric NAME] [--output text|json] [--lock-timeout DURATION]",
	about: `Ingests the FGD in DIR once: every YAML file in raw/ (and any YAML file
outside managed/, unmanaged/ and .hnp/) becomes one normalized file per
resource in managed/, or goes to unmanaged/ with a .metadata sidecar saying
why; the originals move to .hnp/archive/. Run 'fgd plan DIR' first to see
what it would do. Safe to run while the daemon watches the same FGD: one
writer at a time holds .hnp/lock. On a terminal, a progress bar on stderr
counts the files handled (not with --output json, nor into a pipe).`,
	examples: []string{
		"fgd ingest /srv/fgd/dc1",
		"fgd ingest /srv/fgd/dc1 --fabric dc1 --output json",
	},
	exits: `0  every file was handled (routing a file to unmanaged/ is handling it)
1  error: a file could not be read or moved (it is left in place), or the run stopped
2  usage error`,
}

var planHelp = help{
	usage: "fgd plan DIR [--detailed-exitcode] [--fail-on-rejected] [--fabric NAME] [--output text|json] [--lock-timeout DURATION]\n       fgd plan --files FILE... [--detailed-exitcode] [--fail-on-rejected]",
	about: `Shows what 'fgd ingest DIR' would do — layout repairs, files ingested or
routed to unmanaged/ with the reasons, resources created or updated,
conflicts — and writes nothing at all (not even a lock file).`,
	examples: []string{
		"fgd plan /srv/fgd/dc1",
		"fgd plan /srv/fgd/dc1 --output json",
		"# in a script: 0 nothing to do, 2 changes pending, 1 error",
		"fgd plan /srv/fgd/dc1 --detailed-exitcode",
		"# in CI: fail on a rejected document, whatever else is pending",
		"fgd plan gitops/dc1 --fail-on-rejected",
		"# as a pre-commit hook: the FGDs of the changed files",
		"fgd plan --files --fail-on-rejected gitops/dc1/raw/vpcs.yaml",
	},
	exits: `0  the plan was computed (with --detailed-exitcode: nothing to do)
1  error: a file cannot be read, or the FGD cannot be examined;
   with --fail-on-rejected also: a document would be rejected
2  usage error; with --detailed-exitcode also: changes are pending`,
}

func ingestCommand(name string, args []string, stdout, stderr io.Writer) int {
	dry := name == "plan"
	o := ingestOpts{name: name}
	fs := o.flags()
	h := ingestHelp
	if dry {
		h = planHelp
	}
	pos, code, ok := parse(fs, h, args, stdout, stderr)
	if !ok {
		return code
	}
	asJSON := *o.output == outputJSON
	if o.files {
		return planFiles(&o, pos, stdout, stderr)
	}
	if len(pos) != 1 {
		return usageFail(stdout, stderr, asJSON, name, h, fmt.Sprintf("give exactly one FGD folder (got %d arguments)", len(pos)))
	}
	return ingestOne(&o, pos[0], stdout, stderr)
}

// ingestOne ingests or plans the FGD in dir and returns the exit code.
func ingestOne(o *ingestOpts, dir string, stdout, stderr io.Writer) int {
	name, dry, asJSON := o.name, o.name == "plan", *o.output == outputJSON
	fabric := *o.fabric
	if fabric == "" {
		fabric = ingest.DefaultFabric(dir)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reg, err := resource.NewRegistry()
	if err != nil {
		err = fmt.Errorf("load the embedded CRD schemas: %w", err)
		fmt.Fprintf(stderr, "fgd %s: %s\n", name, safe(err.Error()))
		writeErrorJSON(stdout, asJSON, describeError(err))
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := ingest.Options{Fabric: fabric, DryRun: dry, LockTimeout: *o.lockTimeout, Logger: logger, Now: time.Now}
	// A progress bar on a terminal only: never in JSON mode or into a pipe.
	bar := newFileBar(stderr, !asJSON && logging.IsTerminal(stderr))
	if bar != nil {
		opts.OnFile = bar.onFile
	}
	rep, err := ingest.Run(ctx, dir, reg, opts)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "fgd %s: %s\n", name, safe(strings.TrimPrefix(err.Error(), "fgd: ")))
		d := describeError(err)
		d.Message = strings.TrimPrefix(d.Message, "fgd: ")
		writeErrorJSON(stdout, asJSON, d)
		return 1
	}
	if asJSON {
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
			fmt.Fprintf(stderr, "fgd %s: %s: %s; fix: %s\n", name, safe(e.File), safe(e.Message), safe(e.Hint))
		}
	}
	rejected := o.failOnRejected && printRejected(stderr, name, dir, rep)
	switch {
	case rep.Failures(), rejected:
		return 1
	case dry && o.detailed && rep.Changed:
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
