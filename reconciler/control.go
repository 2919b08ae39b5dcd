package reconciler

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// FabricStatus is a snapshot of one fabric for the API and readiness, read
// from its row in the store (the API and the status page read the same
// row).
type FabricStatus struct {
	Name    string      `json:"name"`
	Root    string      `json:"root"`
	Syncing bool        `json:"syncing"`
	Current *SyncStatus `json:"current,omitempty"`
	Last    *SyncStatus `json:"last_sync,omitempty"`
	// LastSuccess is when the fabric last completed a sync.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Attempted is true once the fabric's first sync has ended, well or not.
	Attempted bool `json:"attempted"`
	Syncs     int  `json:"syncs"`
	Suspended bool `json:"suspended"`
	// SourceError is set while the fabric's source fails to reach its
	// input (a git remote that is down or refuses the credentials).
	SourceError *ErrorInfo `json:"source_error,omitempty"`
}

// Fabrics returns a snapshot of every running fabric, sorted by name, as
// one read of the store saw them.
func (r *Reconciler) Fabrics() []FabricStatus {
	r.mu.Lock()
	roots := make(map[string]string, len(r.fabrics))
	for name, f := range r.fabrics {
		roots[name] = f.spec.Root
	}
	r.mu.Unlock()
	rows, err := r.opts.Store.FabricsWithSyncs(nil)
	r.storeErr(err)
	out := make([]FabricStatus, 0, len(roots))
	for _, row := range rows {
		if root, ok := roots[row.Fabric.Name]; ok {
			out = append(out, fabricStatus(row, root))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// fabricStatus is a fabric's row, with its syncs, as Fabrics shows it.
func fabricStatus(row state.FabricSyncs, root string) FabricStatus {
	f := row.Fabric
	st := FabricStatus{
		Name: f.Name, Root: root, Attempted: f.Attempted, LastSuccess: f.LastSuccess,
		Syncs: f.Syncs, Suspended: f.Suspended, Syncing: f.CurrentSyncID != "",
	}
	if e := f.SourceError; e != nil {
		st.SourceError = &ErrorInfo{Error: e.Error, Class: e.Class, Remediation: e.Remediation}
	}
	if row.Current != nil {
		cur := syncStatus(row.Current)
		st.Current = &cur
	}
	if row.Finished != nil {
		last := syncStatus(row.Finished)
		st.Last = &last
	}
	return st
}

// BusyError is returned by SyncNow while a sync of the fabric runs.
type BusyError struct{ SyncID string }

func (e *BusyError) Error() string { return fmt.Sprintf("a sync is in progress (%s)", e.SyncID) }

// SyncNow asks for a sync of the fabric and returns the ID it will have; a
// sync already running is a *BusyError naming it. A suspended fabric
// refuses with ErrSuspended.
func (r *Reconciler) SyncNow(name string, t Trigger) (string, error) {
	f, err := r.lookup(name)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	switch rec := f.row(); {
	case rec.CurrentSyncID != "":
		f.mu.Unlock()
		return "", &BusyError{SyncID: rec.CurrentSyncID}
	case rec.Suspended:
		f.mu.Unlock()
		return "", ErrSuspended
	}
	if f.nextID == "" {
		f.nextID = newSyncID()
	}
	id := f.nextID
	f.mu.Unlock()
	f.trigger(t)
	return id, nil
}

// ErrSuspended is returned for a sync asked of a suspended fabric.
var ErrSuspended = errors.New("the fabric is suspended: resume it first")

// Suspend stops a fabric's syncs (its triggers are dropped) until Resume;
// a sync running now finishes.
func (r *Reconciler) Suspend(name string) error { return r.setSuspended(name, true) }

// Resume lets a suspended fabric sync again, starting with one sync now.
func (r *Reconciler) Resume(name string) error { return r.setSuspended(name, false) }

func (r *Reconciler) setSuspended(name string, on bool) error {
	f, err := r.lookup(name)
	if err != nil {
		return err
	}
	f.mu.Lock()
	was := false
	r.updateFabric(name, func(rec *state.Fabric) {
		was = rec.Suspended
		rec.Suspended = on
		switch {
		case on:
			rec.State = state.FabricSuspended
		case rec.State == state.FabricSuspended:
			rec.State = state.FabricIdle
		}
	})
	if on {
		f.pending = nil
	}
	f.mu.Unlock()
	if was && !on {
		f.trigger(Trigger{Kind: "resume"})
	}
	if was != on {
		r.log.Info(map[bool]string{true: "fabric suspended", false: "fabric resumed"}[on], "fabric", name)
	}
	return nil
}

func (r *Reconciler) lookup(name string) (*fabric, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.fabrics[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFabric, name)
	}
	return f, nil
}
