package reconciler

import (
	"errors"
	"fmt"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// The reconciler is the only writer of the state store: fabrics, syncs as
// they move, events, and each fabric's desired set. Every change of a
// fabric's row is one UpdateFabric transaction, so concurrent writers (a
// sync ending, a breaker opening, a suspension) never lose each other's
// changes. Readers (the API, the status page) follow it with watch sets.
// A failed write of the record (rows, syncs, events) is logged, never
// fatal to a sync; a desired set that cannot be stored fails the sync, as
// the sinks apply what the store holds.

func (r *Reconciler) storeFabricStarted(f *fabric) {
	var created bool
	r.storeErr(r.opts.Store.PutFabric(f.spec.Name, func(rec *state.Fabric, isNew bool) {
		created = isNew
		// A restarted fabric (its config changed) starts its run afresh:
		// readiness waits for its first sync again, and the desired set
		// is read again (its root may have moved). What it did before
		// (last success, revision, last error) stays on record.
		rec.State, rec.Suspended, rec.Attempted, rec.Syncs = state.FabricIdle, false, false, 0
		rec.CurrentSyncID, rec.FinishedSyncID, rec.SourceError = "", "", nil
		rec.DesiredLoaded, rec.UnmanagedLoaded = false, false
		// A restarted fabric may have other targets: seed them afresh.
		rec.Circuits = map[string]string{}
		for _, t := range f.circuitTargets() {
			rec.Circuits[t] = string(r.breakers.State(t))
		}
	}))
	if created {
		r.event(f.spec.Name, state.EventFabricCreated, map[string]any{"root": f.spec.Root})
	}
}

// storeCircuit records a breaker's new state in the fabric's record.
func (r *Reconciler) storeCircuit(name, target string, to resilience.BreakerState) {
	r.updateFabric(name, func(rec *state.Fabric) {
		if rec.Circuits == nil {
			rec.Circuits = map[string]string{}
		}
		rec.Circuits[target] = string(to)
	})
}

// updateFabric applies fn to the fabric's row; a fabric removed meanwhile
// is no error.
func (r *Reconciler) updateFabric(name string, fn func(*state.Fabric)) {
	if err := r.opts.Store.UpdateFabric(name, fn); !errors.Is(err, state.ErrNoFabric) {
		r.storeErr(err)
	}
}

func (r *Reconciler) storeFabricRemoved(name string) {
	r.storeErr(r.opts.Store.DeleteFabric(name))
}

// storeSync mirrors a sync's status into the store on every transition,
// with its fabric's row as the sync starts and ends, in one transaction.
func (r *Reconciler) storeSync(st SyncStatus) {
	var fabric func(*state.Fabric)
	if st.State == state.SyncPending || st.State == state.SyncInitializing || st.State.Terminal() {
		fabric = func(f *state.Fabric) { fabricState(f, st) }
	}
	r.storeErr(r.opts.Store.RecordSync(syncRecord(st), fabric))
}

// fabricState records in f the state of its sync st as it starts and ends.
func fabricState(f *state.Fabric, st SyncStatus) {
	switch st.State {
	case state.SyncPending:
		f.CurrentSyncID = st.ID
		return
	case StateCompleted:
		f.State, f.LastError, f.Remediation, f.ErrorClass = state.FabricIdle, "", "", ""
		f.LastSuccess = st.Finished
		if st.Revision != "" {
			f.Revision, f.Signer = st.Revision, st.Signer
		}
		// The sync reached the input: the source's failure is over.
		f.SourceError = nil
	case StateFailed:
		f.State = state.FabricFailed
		// A sync an open circuit refused keeps the failure that opened
		// it as the fabric's last error: the refusal tells the operator
		// nothing to fix (the circuit's state is in Circuits).
		if !st.refused || f.LastError == "" {
			f.LastError, f.Remediation, f.ErrorClass = st.Error, st.Remediation, st.ErrorClass
		}
	default:
		f.State = state.FabricSyncing
	}
	f.LastSyncID = st.ID
	if st.State.Terminal() {
		f.CurrentSyncID, f.FinishedSyncID = "", st.ID
		f.Attempted = true
		f.Syncs++
	}
	if f.Suspended {
		f.State = state.FabricSuspended
	}
}

// storeOutcome adds the events of a finished sync.
func (r *Reconciler) storeOutcome(st SyncStatus) {
	data := map[string]any{"sync_id": st.ID, "duration_ms": st.Duration.Milliseconds(), "revision": st.Revision}
	if st.Summary.Repairs > 0 {
		r.event(st.Fabric, state.EventDirectoryInitialized, map[string]any{"sync_id": st.ID, "repairs": st.Summary.Repairs})
	}
	if st.Summary.Files > 0 {
		r.event(st.Fabric, state.EventFilesDiscovered, map[string]any{"sync_id": st.ID, "files": st.Summary.Files})
		r.event(st.Fabric, state.EventIngestionCompleted, map[string]any{
			"sync_id": st.ID, "created": st.Summary.Created, "updated": st.Summary.Updated,
			"unchanged": st.Summary.Unchanged, "unmanaged": st.Summary.Unmanaged, "conflicts": st.Summary.Conflicts,
		})
	}
	if len(st.Summary.Retired) > 0 {
		r.event(st.Fabric, state.EventUnmanagedRetired, map[string]any{"sync_id": st.ID, "files": st.Summary.Retired})
	}
	if st.State == StateCompleted {
		r.event(st.Fabric, state.EventSyncCompleted, data)
		return
	}
	data["error"], data["remediation"], data["class"] = st.Error, st.Remediation, st.ErrorClass
	r.event(st.Fabric, state.EventSyncFailed, data)
}

// storeDesired replaces the fabric's desired set with its managed tree,
// validated (ReadManaged): only Hedgehog resources ever reach a sink. With
// compare set it returns what changed against the set it replaces, for the
// sync's record (see desiredChanges).
func (r *Reconciler) storeDesired(f *fabric, revision, root string, compare bool) ([]state.ResourceChange, error) {
	s := r.opts.Store
	fabric := f.spec.Name
	managed, err := ingest.ReadManaged(root, r.opts.Registry, f.managed)
	if err != nil {
		return nil, fmt.Errorf("read the desired set: %w", err)
	}
	rs := make([]state.Resource, len(managed))
	for i, m := range managed {
		rs[i] = state.Resource{
			Fabric: fabric, Revision: revision, Key: m.Key, Kind: m.ID.Kind, Name: m.ID.Name,
			Namespace: m.ID.Namespace, Path: m.Path, Hash: m.Hash, Body: m.Body,
		}
	}
	var changes []state.ResourceChange
	if compare {
		old, err := s.Desired(nil, fabric)
		if err != nil {
			return nil, err
		}
		changes = desiredChanges(old, rs)
	}
	return changes, s.ReplaceDesired(fabric, revision, rs)
}

// fullPassDue reports whether the desired set must be re-read for the
// managed cache's full pass, which reads every managed file and repairs
// what stamps could not show; an operator's sync always asks for one.
func (f *fabric) fullPassDue(byOperator bool) bool {
	if byOperator {
		f.managed.RequestFullPass()
	}
	return byOperator || f.managed.FullPassDue()
}

func (r *Reconciler) event(fabric, typ string, data map[string]any) {
	_, err := r.opts.Store.AddEvent(state.Event{Fabric: fabric, Type: typ, Time: r.opts.Now(), Data: data})
	r.storeErr(err)
}

func (r *Reconciler) storeErr(err error) {
	if err != nil {
		r.log.Error("state store write failed", "err", err)
	}
}
