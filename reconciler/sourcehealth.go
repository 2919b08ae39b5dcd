package reconciler

import (
	"errors"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// ErrorInfo is a failure as the API, `fgd status` and /readyz show it.
type ErrorInfo struct {
	Error string `json:"error"`
	// Class is "transient", "waiting" or "stalled": what fgd does next.
	Class       string `json:"class"`
	Remediation string `json:"remediation,omitempty"`
}

// describe splits a failure into its message, class and remediation.
func describe(err error) ErrorInfo {
	e := ErrorInfo{Error: err.Error(), Class: resilience.ClassOf(err).String()}
	var re *resilience.Error
	if errors.As(err, &re) {
		e.Remediation = re.Remediation
	}
	return e
}

// sourceReport is what the fabric's source says of its input: err is a
// failure to reach it, nil that it works. A failure is the fabric's last
// error, with its class and remediation, in the same record a failed sync
// writes, so the API, `fgd status`, the status page and /readyz show it
// without a sync having to fail first (a git branch that does not move
// never triggers one). The recovery clears it and runs a sync: a fabric
// stalled by bad credentials heals as soon as they are fixed, not only at
// the next push. Repeats of one message write nothing.
func (f *fabric) sourceReport(err error) {
	if err == nil && f.row().SourceError == nil {
		// Every good head check reports; a read costs no write lock.
		return
	}
	var now, prev *state.Failure
	if err != nil {
		e := describe(err)
		now = &state.Failure{Error: e.Error, Class: e.Class, Remediation: e.Remediation}
	}
	f.r.updateFabric(f.spec.Name, func(rec *state.Fabric) {
		prev = rec.SourceError
		rec.SourceError = now
		switch {
		case now == nil && prev != nil && rec.LastError == prev.Error:
			// Cleared only while the record still shows it: a sync that
			// failed since keeps its own error.
			rec.LastError, rec.Remediation, rec.ErrorClass = "", "", ""
			if rec.State == state.FabricFailed {
				rec.State = state.FabricIdle
			}
		case now != nil && (prev == nil || prev.Error != now.Error):
			rec.LastError, rec.Remediation, rec.ErrorClass = now.Error, now.Remediation, now.Class
			if rec.State == state.FabricIdle {
				// A running sync or a suspension keeps its state; the
				// error shows beside it.
				rec.State = state.FabricFailed
			}
		}
	})
	switch {
	case now == nil && prev == nil:
	case now == nil:
		f.r.event(f.spec.Name, state.EventSourceRecovered, nil)
		f.trigger(Trigger{Kind: "poll", Detail: "the source works again"})
	case prev == nil || prev.Error != now.Error:
		f.r.event(f.spec.Name, state.EventSourceFailed, map[string]any{"error": now.Error, "remediation": now.Remediation, "class": now.Class})
	}
}
