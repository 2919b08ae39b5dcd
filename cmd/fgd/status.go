package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/humanize"
	"github.com/fgdproject/fgd/internal/state"
)

// statusOpts are the flags of fgd status.
type statusOpts struct {
	server    *string
	tokenFile *string
	output    *string
}

// flags defines the flag set of fgd status, which the command and shell
// completion both use.
func (o *statusOpts) flags() *flag.FlagSet {
	fs := newFlagSet("status")
	o.server, o.tokenFile = serverFlags(fs)
	o.output = outputFlag(fs)
	return fs
}

var statusHelp = help{
	usage: "fgd status [--server URL] [--output table|json] [--token-file FILE]",
	about: `Shows every fabric the running daemon keeps in sync: its state, the revision
it last synced (and who signed it, for git sources that verify signatures),
how long ago its last successful sync finished, how many
resources it holds, and its last error. It asks the daemon's API
(GET /api/v1/fabrics); when the config sets api.read_token_file, pass a token
with --token-file (or $FGD_TOKEN_FILE).`,
	examples: []string{
		"fgd status",
		"fgd status --server http://127.0.0.1:9477 --output json",
		"FGD_TOKEN_FILE=~/.config/fgd/token fgd status",
	},
	exits: "0  the status was shown\n1  error: the daemon cannot be reached, or refused the request\n2  usage error",
}

// cmdStatus runs `fgd status`: the fabrics table of the running daemon.
func cmdStatus(args []string, stdout, stderr io.Writer) int {
	var o statusOpts
	fs := o.flags()
	pos, code, ok := parse(fs, statusHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	asJSON := *o.output == outputJSON
	if len(pos) > 0 {
		return usageFail(stdout, stderr, asJSON, "status", statusHelp, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	c, code, ok := newClient("status", statusHelp, *o.server, *o.tokenFile, asJSON, stdout, stderr)
	if !ok {
		return code
	}
	var list httpapi.FabricList
	if err := c.do(context.Background(), "GET", "/api/v1/fabrics", requestTimeout, &list); err != nil {
		printAPIError(stderr, "status", c, err)
		writeErrorJSON(stdout, asJSON, describeError(err))
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
			fmt.Fprintf(stderr, "fgd status: write output: %v\n", err)
			return 1
		}
		return 0
	}
	writeStatusTable(stdout, list.Fabrics, time.Now())
	return 0
}

// writeStatusTable prints the fabrics as an aligned table.
func writeStatusTable(w io.Writer, fabrics []httpapi.FabricView, now time.Time) {
	if len(fabrics) == 0 {
		fmt.Fprintln(w, "no fabrics configured")
		return
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	// The signer column only where a fabric verifies commit signatures.
	signers := slices.ContainsFunc(fabrics, func(f httpapi.FabricView) bool { return f.Signer != "" })
	signer := func(f httpapi.FabricView) string {
		if !signers {
			return ""
		}
		return cell(orDash(oneLineClip(f.Signer, 60))) + "\t"
	}
	head := "FABRIC\tSTATE\tREVISION\t"
	if signers {
		head += "SIGNER\t"
	}
	fmt.Fprintln(tw, head+"LAST SUCCESS\tRESOURCES\tUNMANAGED\tLAST ERROR")
	for _, f := range fabrics {
		st := f.State
		if f.Suspended && st != state.FabricSuspended {
			st += " (suspended)"
		}
		total := 0
		for _, n := range f.Resources {
			total += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\t%d\t%d\t%s\n", cell(f.Name), cell(orDash(string(st))), cell(revisionCell(f)), signer(f),
			age(f.LastSuccess, now), total, f.Unmanaged, cell(oneLineClip(lastError(f), 100)))
	}
	_ = tw.Flush()
	// No padding after the last cell of a row without an error.
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
}

// lastError is the fabric's last error led by its class, e.g.
// "stalled: git ls-remote …".
func lastError(f httpapi.FabricView) string {
	if f.LastError == "" || f.ErrorClass == "" {
		return f.LastError
	}
	return f.ErrorClass + ": " + f.LastError
}

// shortRevision shortens a commit ID or content hash to 12 characters.
func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// age says how long ago t was: "never", or as humanize.Ago.
func age(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return humanize.Ago(now.Sub(*t))
}

// oneLineClip keeps a message on one table line, at most n runes long.
func oneLineClip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// cell is a table cell from the daemon: escaped for the terminal (see
// safe), with no tab to break the columns.
func cell(s string) string { return safe(s) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// revisionCell is a fabric's revision for the table: "local" for a fabric
// that has synced without one (a dir source has no commits; its sinks
// publish it as "local", and so the table says), "-" before a first sync.
func revisionCell(f httpapi.FabricView) string {
	switch {
	case f.Revision != "":
		return shortRevision(f.Revision)
	case f.LastSuccess != nil:
		return "local"
	}
	return "-"
}
