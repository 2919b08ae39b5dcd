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
	f.mu.Lock()
	prev := f.sourceErr
	f.sourceErr = err
	f.mu.Unlock()
	switch {
	case err == nil && prev == nil:
	case err == nil:
		f.r.storeSourceError(f.spec.Name, describe(prev), false)
		f.trigger(Trigger{Kind: "poll", Detail: "the source works again"})
	case prev == nil || prev.Error() != err.Error():
		f.r.storeSourceError(f.spec.Name, describe(err), true)
	}
}

// storeSourceError writes a source's failure e into the fabric's record
// (failing), or clears it (!failing) when the record still shows it: a
// sync that failed since keeps its own error.
func (r *Reconciler) storeSourceError(name string, e ErrorInfo, failing bool) {
	r.updateFabric(name, func(rec *state.Fabric) {
		switch {
		case failing:
			rec.LastError, rec.Remediation, rec.ErrorClass = e.Error, e.Remediation, e.Class
			if rec.State == state.FabricIdle {
				// A running sync or a suspension keeps its state; the
				// error shows beside it.
				rec.State = state.FabricFailed
			}
		case rec.LastError == e.Error:
			rec.LastError, rec.Remediation, rec.ErrorClass = "", "", ""
			if rec.State == state.FabricFailed {
				rec.State = state.FabricIdle
			}
		}
	})
	if failing {
		r.event(name, state.EventSourceFailed, map[string]any{"error": e.Error, "remediation": e.Remediation, "class": e.Class})
		return
	}
	r.event(name, state.EventSourceRecovered, nil)
}
