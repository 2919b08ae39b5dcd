package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/fgdproject/fgd/internal/audit"
)

// syncStatusURL is where a sync's state is served.
func syncStatusURL(id string) string { return "/api/v1/syncs/" + id }

// postSync serves POST /api/v1/fabrics/{name}/sync: 202 with the new
// sync's ID, 409 with the running one's, 404 for an unknown fabric.
func (a *api) postSync(w http.ResponseWriter, r *http.Request, c caller) {
	name := r.PathValue("name")
	trigger := fmt.Sprintf("api %s token=%s", r.RemoteAddr, c.name)
	id, err := a.ctl.Sync(name, trigger)
	entry := a.entry(r, c, audit.ActionSync, name)
	var busy *BusyError
	switch {
	case errors.Is(err, ErrUnknownFabric):
		entry.Outcome, entry.Detail = "unknown_fabric", "no such fabric"
		a.record(entry)
		writeJSON(w, http.StatusNotFound, unknownFabric(name).body)
	case errors.As(err, &busy):
		entry.Outcome, entry.Detail = "busy", "sync "+busy.SyncID+" is in progress"
		a.record(entry)
		writeJSON(w, http.StatusConflict, ErrorBody{
			Error:       "a sync is in progress",
			Remediation: fmt.Sprintf("wait for it (GET %s?wait=1, or fgd sync %s --wait); triggers during a sync are not lost, the next sync takes them", syncStatusURL(busy.SyncID), name),
			SyncID:      busy.SyncID,
			StatusURL:   syncStatusURL(busy.SyncID),
		})
	case errors.Is(err, ErrSuspended):
		entry.Outcome, entry.Detail = "suspended", "the fabric is suspended"
		a.record(entry)
		writeError(w, http.StatusConflict, fmt.Sprintf("fabric %q is suspended", clip(name)),
			fmt.Sprintf("resume it first: POST /api/v1/fabrics/%s/resume", name))
	case err != nil:
		a.failed(w, entry, err)
	default:
		entry.Outcome, entry.Detail = audit.OutcomeAccepted, "sync "+id+" started"
		a.record(entry)
		a.logger.Info("sync requested over the API", "fabric", name, "sync_id", id, "actor", c.name, "remote", r.RemoteAddr)
		w.Header().Set("Location", syncStatusURL(id))
		writeJSON(w, http.StatusAccepted, SyncAccepted{SyncID: id, StatusURL: syncStatusURL(id)})
	}
}

// postSuspend serves POST /api/v1/fabrics/{name}/suspend: 200 with the
// fabric.
func (a *api) postSuspend(w http.ResponseWriter, r *http.Request, c caller) {
	a.toggle(w, r, c, audit.ActionSuspend, a.ctl.Suspend)
}

// postResume serves POST /api/v1/fabrics/{name}/resume: 200 with the
// fabric.
func (a *api) postResume(w http.ResponseWriter, r *http.Request, c caller) {
	a.toggle(w, r, c, audit.ActionResume, a.ctl.Resume)
}

// toggle runs a suspend or a resume and answers with the fabric as the
// store then holds it.
func (a *api) toggle(w http.ResponseWriter, r *http.Request, c caller, action string, do func(string) error) {
	name := r.PathValue("name")
	entry := a.entry(r, c, action, name)
	err := do(name)
	switch {
	case errors.Is(err, ErrUnknownFabric):
		entry.Outcome, entry.Detail = "unknown_fabric", "no such fabric"
		a.record(entry)
		writeJSON(w, http.StatusNotFound, unknownFabric(name).body)
		return
	case err != nil:
		a.failed(w, entry, err)
		return
	}
	entry.Outcome = audit.OutcomeOK
	a.record(entry)
	a.logger.Info("fabric "+action+"ed over the API", "fabric", name, "actor", c.name, "remote", r.RemoteAddr)
	f, err := a.store.Fabric(nil, name)
	if err != nil || f == nil {
		// The controller knows the fabric but the store does not (yet).
		writeJSON(w, http.StatusNotFound, unknownFabric(name).body)
		return
	}
	kinds, err := a.countsOf(nil, name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the state failed: "+err.Error(), "see the daemon's log; retry")
		return
	}
	writeJSON(w, http.StatusOK, fabricView(f, kinds))
}

// entry starts the audit entry of a mutating call by c.
func (a *api) entry(r *http.Request, c caller, action, fabric string) audit.Entry {
	e := audit.Entry{Actor: c.name, Remote: r.RemoteAddr, Action: action, Fabric: clip(fabric)}
	if f, err := a.store.Fabric(nil, fabric); err == nil && f != nil {
		e.Revision = f.Revision
	}
	return e
}

// failed answers a controller error the API has no status for.
func (a *api) failed(w http.ResponseWriter, entry audit.Entry, err error) {
	entry.Outcome, entry.Detail = audit.OutcomeFailed, err.Error()
	a.record(entry)
	a.logger.Error("API "+entry.Action+" failed", "fabric", entry.Fabric, "actor", entry.Actor, "err", err)
	writeError(w, http.StatusInternalServerError, fmt.Sprintf("%s of fabric %q failed: %v", entry.Action, entry.Fabric, err),
		"see the daemon's log; retry")
}
