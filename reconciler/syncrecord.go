package reconciler

import (
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// syncRecord is a sync's status as the store keeps it; syncStatus turns
// it back. The two are inverses: Fabrics shows a sync as it was recorded.
func syncRecord(st SyncStatus) state.Sync {
	s := st.Summary
	sy := state.Sync{
		ID: st.ID, Fabric: st.Fabric, Trigger: triggerKinds(st.Triggers), State: st.State,
		Started: st.Started, Finished: st.Finished, Error: st.Error, Remediation: st.Remediation,
		Revision: st.Revision, Commit: st.Commit, Signer: st.Signer, ErrorClass: st.ErrorClass, Refused: st.refused,
		Ingest: state.IngestSummary{Files: s.Files, Created: s.Created, Updated: s.Updated, Unchanged: s.Unchanged,
			Unmanaged: s.Unmanaged, Retired: s.Retired, Conflicts: s.Conflicts, Repairs: s.Repairs, Errors: s.Errors, Changed: s.Changed},
		Diff:    state.DiffSummary{Create: s.Created, Update: s.Updated, Unchanged: s.Unchanged},
		Changes: st.Changes,
	}
	for _, t := range st.Triggers {
		sy.Triggers = append(sy.Triggers, state.Trigger{Kind: string(t.Kind), Detail: t.Detail})
	}
	for _, t := range st.Transitions {
		sy.Transitions = append(sy.Transitions, state.Transition{State: t.State, At: t.At})
	}
	for _, k := range st.Sinks {
		res := state.SinkResult{Name: k.Name, Attempts: k.Attempts, Applied: k.Applied, Deleted: k.Deleted, Drift: k.Drift,
			Error: k.Error, Output: k.Output, Status: k.Status, Conflicts: k.Conflicts, Rejected: k.Rejected}
		for _, p := range k.Problems {
			res.Problems = append(res.Problems, state.ObjectProblem{Key: p.Key, Outcome: p.Outcome, Message: p.Message})
		}
		sy.Sinks = append(sy.Sinks, res)
	}
	return sy
}

// syncStatus is the status of a sync recorded by syncRecord.
func syncStatus(sy *state.Sync) SyncStatus {
	s := sy.Ingest
	st := SyncStatus{
		ID: sy.ID, Fabric: sy.Fabric, State: sy.State, Started: sy.Started, Finished: sy.Finished,
		Revision: sy.Revision, Commit: sy.Commit, Signer: sy.Signer, ErrorClass: sy.ErrorClass,
		Error: sy.Error, Remediation: sy.Remediation, Changes: sy.Changes, refused: sy.Refused,
		Summary: Summary{Files: s.Files, Created: s.Created, Updated: s.Updated, Unchanged: s.Unchanged, Unmanaged: s.Unmanaged,
			Retired: s.Retired, Conflicts: s.Conflicts, Repairs: s.Repairs, Errors: s.Errors, Changed: s.Changed},
	}
	if !sy.Finished.IsZero() {
		st.Duration = sy.Finished.Sub(sy.Started)
	}
	for _, t := range sy.Triggers {
		st.Triggers = append(st.Triggers, Trigger{Kind: contract.TriggerKind(t.Kind), Detail: t.Detail})
	}
	for _, t := range sy.Transitions {
		st.Transitions = append(st.Transitions, Transition{State: t.State, At: t.At})
	}
	for _, r := range sy.Sinks {
		k := SinkStatus{Name: r.Name, Status: r.Status, Attempts: r.Attempts, Applied: r.Applied, Deleted: r.Deleted,
			Drift: r.Drift, Conflicts: r.Conflicts, Rejected: r.Rejected, Error: r.Error, Output: r.Output}
		for _, p := range r.Problems {
			k.Problems = append(k.Problems, contract.ObjectResult{Key: p.Key, Outcome: p.Outcome, Message: p.Message})
		}
		st.Sinks = append(st.Sinks, k)
	}
	return st
}
