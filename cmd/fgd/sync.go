package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/state"
)

// Bounds of fgd sync --wait.
const (
	defaultSyncTimeout = 10 * time.Minute
	// pollChunk bounds one long poll; the daemon caps it at 5 minutes.
	pollChunk = 5 * time.Minute
)

// syncOpts are the flags of fgd sync.
type syncOpts struct {
	server    *string
	tokenFile *string
	output    *string
	wait      *bool
	timeout   *time.Duration
}

// flags defines the flag set of fgd sync, which the command and shell
// completion both use.
func (o *syncOpts) flags() *flag.FlagSet {
	fs := newFlagSet("sync")
	o.server, o.tokenFile = serverFlags(fs)
	o.output = outputFlag(fs)
	o.wait = fs.Bool("wait", false, "follow the sync, stage by stage, until it completes or fails")
	o.timeout = fs.Duration("timeout", defaultSyncTimeout, "with --wait, stop waiting after this `DURATION` (the sync goes on)")
	return fs
}

var syncHelp = help{
	usage: "fgd sync FABRIC [--wait] [--server URL] [--token-file FILE] [--timeout DURATION] [--output text|json]",
	about: `Asks the running daemon to sync FABRIC now (POST /api/v1/fabrics/FABRIC/sync)
and prints the sync's ID. With --wait it follows the sync and shows each
stage as it is reached — one updating line on a terminal, one line per stage
otherwise — then the outcome. When a sync of the fabric is already running,
fgd sync names it; with --wait it follows that one instead.

The call needs the operator token (the content of the config's
api.token_file): pass its file with --token-file, or set $FGD_TOKEN_FILE.`,
	examples: []string{
		"fgd sync dc1 --token-file /etc/fgd/api-token",
		"export FGD_TOKEN_FILE=/etc/fgd/api-token",
		"fgd sync dc1 --wait",
		"fgd sync dc1 --wait --timeout 30m --output json",
	},
	exits: `0  the sync was started (with --wait: it completed)
1  error: the daemon cannot be reached or refused the sync, a sync is already
   running (without --wait), the sync failed, or --timeout passed
2  usage error`,
}

// cmdSync runs `fgd sync FABRIC [--wait]`.
func cmdSync(args []string, stdout, stderr io.Writer) int {
	var o syncOpts
	fs := o.flags()
	pos, code, ok := parse(fs, syncHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	asJSON := *o.output == outputJSON
	if len(pos) != 1 {
		return usageFail(stdout, stderr, asJSON, "sync", syncHelp, fmt.Sprintf("give exactly one FABRIC (got %d arguments)", len(pos)))
	}
	if *o.timeout <= 0 {
		return usageFail(stdout, stderr, asJSON, "sync", syncHelp, fmt.Sprintf("--timeout must be more than 0, not %q", o.timeout.String()))
	}
	fabric := pos[0]
	c, code, ok := newClient("sync", syncHelp, *o.server, *o.tokenFile, asJSON, stdout, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var acc httpapi.SyncAccepted
	err := c.do(ctx, "POST", "/api/v1/fabrics/"+url.PathEscape(fabric)+"/sync", requestTimeout, &acc)
	ae, isAPI := errors.AsType[*apiError](err)
	switch {
	case err == nil:
	case isAPI && ae.status == http.StatusConflict && ae.body.SyncID != "":
		if !*o.wait {
			fmt.Fprintf(stderr, "fgd sync: a sync of %s is already in progress: %s\n  follow it: fgd sync %s --wait\n", safe(fabric), safe(ae.body.SyncID), safe(fabric))
			d := describeError(err)
			d.Remediation = "follow it: fgd sync " + fabric + " --wait"
			writeErrorJSON(stdout, asJSON, d)
			return 1
		}
		fmt.Fprintf(stderr, "a sync of %s is already in progress (%s); waiting for it instead\n", safe(fabric), safe(ae.body.SyncID))
		acc = httpapi.SyncAccepted{SyncID: ae.body.SyncID, StatusURL: ae.body.StatusURL}
	default:
		printAPIError(stderr, "sync", c, err)
		writeErrorJSON(stdout, asJSON, describeError(err))
		return 1
	}
	if acc.StatusURL == "" {
		acc.StatusURL = "/api/v1/syncs/" + url.PathEscape(acc.SyncID)
	}
	if !*o.wait {
		if *o.output == outputJSON {
			_ = json.NewEncoder(stdout).Encode(acc)
		} else {
			fmt.Fprintf(stdout, "sync %s of %s started\n", safe(acc.SyncID), safe(fabric))
		}
		return 0
	}
	return followSync(ctx, c, acc, *o.timeout, *o.output == outputJSON, stdout, stderr)
}

// followSync long-polls the sync until it is done, showing each stage (or,
// for json, only the final state), and returns the exit status.
func followSync(ctx context.Context, c *apiClient, acc httpapi.SyncAccepted, timeout time.Duration, asJSON bool, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var p *progress
	if !asJSON {
		p = newProgress(stdout, isTerminal(stdout))
	}
	// The first read answers as soon as the sync is in the daemon's state
	// (at once, unless it is still being started), so the state it is in
	// shows now; each next one waits for a change past the index it had.
	path := acc.StatusURL + "?wait=1&index=0"
	for {
		chunk := pollChunk
		if dl, ok := ctx.Deadline(); ok {
			chunk = min(chunk, time.Until(dl))
		}
		q := fmt.Sprintf("%s&timeout=%s", path, max(chunk, time.Millisecond).Round(time.Millisecond))
		var sv httpapi.SyncView
		// The request may take its whole long poll, and then some.
		err := c.do(ctx, "GET", q, chunk+requestTimeout, &sv)
		if err != nil {
			p.interrupt()
			d := describeError(err)
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				d.Message = fmt.Sprintf("gave up waiting after %s; sync %s goes on", timeout, acc.SyncID)
				fmt.Fprintf(stderr, "fgd sync: %s (fgd status, or GET %s)\n", safe(d.Message), safe(acc.StatusURL))
			case errors.Is(err, context.Canceled):
				d.Message = fmt.Sprintf("stopped waiting; sync %s goes on", acc.SyncID)
				fmt.Fprintf(stderr, "fgd sync: %s (fgd status, or GET %s)\n", safe(d.Message), safe(acc.StatusURL))
			default:
				printAPIError(stderr, "sync", c, err)
			}
			d.SyncID = acc.SyncID
			writeErrorJSON(stdout, asJSON, d)
			return 1
		}
		p.show(sv)
		if sv.Done {
			return finishSync(sv, p, asJSON, stdout, stderr)
		}
		path = fmt.Sprintf("%s?wait=1&index=%d", acc.StatusURL, sv.Index)
	}
}

// finishSync prints a finished sync's outcome and returns the exit status:
// 0 completed, 1 failed.
func finishSync(sv httpapi.SyncView, p *progress, asJSON bool, stdout, stderr io.Writer) int {
	failed := sv.State != state.SyncCompleted
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sv)
	} else {
		p.done()
		d := sv.Diff
		fmt.Fprintf(stdout, "sync %s of %s %s in %.1fs: %d created, %d updated, %d deleted, %d unchanged\n",
			safe(sv.ID), safe(sv.Fabric), safe(string(sv.State)), sv.Seconds, d.Create, d.Update, d.Delete, d.Unchanged)
	}
	if !failed {
		return 0
	}
	fmt.Fprintf(stderr, "fgd sync: sync %s of %s failed: %s\n", safe(sv.ID), safe(sv.Fabric), safe(orDash(sv.Error)))
	if sv.Remediation != "" {
		fmt.Fprintf(stderr, "  fix: %s\n", safe(sv.Remediation))
	}
	for _, s := range sv.Sinks {
		if s.Error != "" {
			fmt.Fprintf(stderr, "  sink %s (%d attempts): %s\n", safe(s.Name), s.Attempts, safe(s.Error))
		}
	}
	return 1
}

// isTerminal reports whether w is a terminal (a character device that is
// not told to be dumb), where progress is one updating line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
