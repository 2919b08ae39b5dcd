// Command fgd keeps the Fabric GitOps Directories of Hedgehog fabrics valid,
// ingested and in sync. main.go only dispatches; each subcommand lives in
// its own file.
package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"

	"github.com/fgdproject/fgd/internal/suggest"
)

// command is one subcommand: it parses its own flags and returns the exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
	// flags returns a new copy of the command's flag set, the one run
	// parses, for shell completion.
	flags func() *flag.FlagSet
	// operand is what the command's positional argument is, for shell
	// completion: "DIR", "FILE", words separated by "|", or "" for none.
	operand string
}

func commands() map[string]command {
	return map[string]command{
		"version":      {"print the version and exit", cmdVersion, (&versionOpts{}).flags, ""},
		"ingest":       {"ingest an FGD's raw/ (and stray YAML) into managed/ and unmanaged/", cmdIngest, (&ingestOpts{name: "ingest"}).flags, "DIR"},
		"plan":         {"show what ingest would do, writing nothing", cmdPlan, (&ingestOpts{name: "plan"}).flags, "DIR"},
		"run":          {"run the daemon (see fgd run --help)", cmdRun, (&runOpts{}).flags, ""},
		"check-config": {"validate a configuration file, listing every error", cmdCheckConfig, (&checkConfigOpts{}).flags, "FILE"},
		"completion":   {"print a shell completion script for bash, zsh or fish", cmdCompletion, completionFlags, shellOperand},
		"status":       {"show the daemon's fabrics", cmdStatus, (&statusOpts{}).flags, ""},
		"sync":         {"sync a fabric now (--wait follows it)", cmdSync, (&syncOpts{}).flags, "FABRIC"},
		"import":       {"write a cluster's Hedgehog objects into an FGD's raw/", cmdImport, (&importOpts{}).flags, "DIR"},
	}
}

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

// dispatch runs the subcommand named by args[0] and returns its exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	switch {
	case len(args) == 0:
		usage(stderr, cmds)
		return 2
	case args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && len(args) == 1):
		usage(stdout, cmds)
		return 0
	case args[0] == "help":
		// fgd help COMMAND is fgd COMMAND --help.
		args = []string{args[1], "--help"}
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "fgd: unknown command %q\n", args[0])
		if s := suggest.Nearest(args[0], slices.Collect(maps.Keys(cmds))); s != "" {
			fmt.Fprintf(stderr, "Did you mean 'fgd %s'?\n", s)
		}
		fmt.Fprintln(stderr, "Run 'fgd --help' for the list of commands.")
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "fgd keeps the Fabric GitOps Directories (FGDs) of Hedgehog fabrics valid, ingested and in sync.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: fgd COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, `
Examples:
  fgd check-config /etc/fgd/config.yaml      validate a config before (re)loading it
  fgd plan /srv/fgd/dc1                      what an ingest would do, writing nothing
  fgd ingest /srv/fgd/dc1 --output json      ingest once, report as JSON
  fgd run --config /etc/fgd/config.yaml      the daemon (systemd runs this)
  source <(fgd completion bash)              shell completion for this shell

Exit status:
  0  success
  1  error: the command failed (an invalid config, a file fgd could not handle, ...)
  2  usage error (unknown command or flag, missing argument);
     for fgd plan --detailed-exitcode also: changes are pending

Flags are written --long-name (--output json or --output=json). Where a command
prints data, --output json gives JSON and --output text (or table) text. fgd
never prints colour.

Run 'fgd COMMAND --help' or 'fgd help COMMAND' for a command's flags and examples.
The operations guide and the configuration reference are in docs/.
`)
}
