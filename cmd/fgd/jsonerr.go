package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/fgdproject/fgd/internal/resilience"
)

// errorOutput is what a command run with --output json prints on stdout
// when it fails, so a script always gets JSON: {"error": {...}}.
type errorOutput struct {
	Error errorDetail `json:"error"`
}

// errorDetail is one failure: its message; its class when known ("usage",
// "unreachable", "refused" for an error answer of the daemon, or a sync
// failure's "transient", "waiting", "stalled"); what to do about it; the
// daemon's HTTP status and the running sync, where they apply.
type errorDetail struct {
	Message     string `json:"message"`
	Class       string `json:"class,omitempty"`
	Remediation string `json:"remediation,omitempty"`
	Status      int    `json:"status,omitempty"`
	SyncID      string `json:"sync_id,omitempty"`
}

// Classes of errorDetail besides the resilience classes.
const (
	classUsage       = "usage"
	classUnreachable = "unreachable"
	classRefused     = "refused"
)

// describeError fills an errorDetail from err: the daemon's answer, an
// unreachable daemon, or a classified failure.
func describeError(err error) errorDetail {
	d := errorDetail{Message: err.Error()}
	if ae, ok := errors.AsType[*apiError](err); ok {
		d.Class, d.Status, d.Remediation, d.SyncID = classRefused, ae.status, ae.body.Remediation, ae.body.SyncID
		return d
	}
	if _, ok := errors.AsType[*unreachableError](err); ok {
		d.Class = classUnreachable
		d.Remediation = "start fgd (systemctl start fgd), or pass --server with its listen address"
		return d
	}
	if re, ok := errors.AsType[*resilience.Error](err); ok {
		d.Class, d.Remediation = re.Class.String(), re.Remediation
	}
	return d
}

// writeErrorJSON prints d as an errorOutput on w when asJSON is set.
func writeErrorJSON(w io.Writer, asJSON bool, d errorDetail) {
	if !asJSON {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(errorOutput{Error: d})
}

// usageFail reports a usage problem found after the flags were parsed: as
// usageError does, and with --output json also as JSON on stdout.
func usageFail(stdout, stderr io.Writer, asJSON bool, name string, h help, msg string) int {
	writeErrorJSON(stdout, asJSON, errorDetail{Message: msg, Class: classUsage, Remediation: "run 'fgd " + name + " --help' for the flags and examples"})
	return usageError(stderr, name, h, safe(msg))
}
