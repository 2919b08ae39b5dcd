package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// SinkSpec is one configured sink of a fabric.
type SinkSpec struct {
	// Name identifies the sink within its fabric ("directory-0", "exec-1").
	Name       string
	Sink       contract.Sink
	Prune      bool
	AllowEmpty bool
	DetectOnly bool
}

// SinkStatus is one sink's part of a sync.
type SinkStatus struct {
	Name     string `json:"name"`
	Status   string `json:"status"` // applied, unchanged, drift, failed
	Attempts int    `json:"attempts"`
	Applied  int    `json:"applied"`
	Deleted  int    `json:"deleted"`
	Drift    int    `json:"drift"`
	// Conflicts and Rejected count the resources a per-object sink could
	// not apply; Problems names them with the API server's message.
	Conflicts int                     `json:"conflicts,omitempty"`
	Rejected  int                     `json:"rejected,omitempty"`
	Problems  []contract.ObjectResult `json:"problems,omitempty"`
	Error     string                  `json:"error,omitempty"`
	Output    string                  `json:"output,omitempty"`
}

// ErrEmptyDesiredSet refuses a prune that would delete everything.
var ErrEmptyDesiredSet = errors.New("refusing to prune every resource: the desired set is empty")

// reconcileStage applies the desired set to every sink of the fabric. A
// failing sink does not stop the others; the sync fails if any did.
func (r *Reconciler) reconcileStage(ctx context.Context, f *fabric, run *syncRun) error {
	if len(f.spec.Sinks) == 0 {
		return nil
	}
	_ = run.transition(state.SyncReconciling)
	stored, err := r.opts.Store.Desired(nil, f.spec.Name)
	if err != nil {
		return err
	}
	if err := onlyFabricKinds(stored); err != nil {
		return err
	}
	desired := resourcesOf(stored)
	var errs []error
	for _, s := range f.spec.Sinks {
		st, err := r.applySink(ctx, f, run, s, desired)
		run.addSink(st)
		if err != nil {
			errs = append(errs, fmt.Errorf("sink %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Reconciler) applySink(ctx context.Context, f *fabric, run *syncRun, s SinkSpec, desired []contract.Resource) (SinkStatus, error) {
	st := SinkStatus{Name: s.Name}
	diff, err := r.opts.Store.Diff(f.spec.Name, s.Name)
	if err != nil {
		return st, err
	}
	if !s.Prune {
		diff.Delete = nil
	}
	if s.Prune && len(desired) == 0 && len(diff.Delete) > 0 && !s.AllowEmpty {
		st.Status = "failed"
		err := resilience.Stalled(fmt.Errorf("%w: %d resources would be deleted from sink %s", ErrEmptyDesiredSet, len(diff.Delete), s.Name),
			"check that the FGD's managed/ is not empty by mistake; set allow_empty: true on the sink if deleting everything is intended")
		st.Error = err.Error()
		return st, err
	}
	req := contract.Request{Fabric: f.spec.Name, Revision: run.status().Revision, Desired: desired, Changes: changesOf(diff), DetectOnly: s.DetectOnly}
	var out contract.Outcome
	target := sinkTarget(f.spec.Name, s.Name)
	err = resilience.Retry(ctx, r.opts.Backoff, func(ctx context.Context) error {
		st.Attempts++
		return r.breakers.Do(target, func() error {
			var err error
			out, err = SinkAttempt(ctx, s.Sink, req)
			return diskFull(f, err)
		})
	}, func(n int, delay time.Duration, err error) {
		f.log.Warn("sink failed, retrying", "sink", s.Name, "attempt", n, "retry_in", delay.Round(time.Millisecond).String(), "err", err)
	})
	st.Output = out.Output
	if err == nil && out.Objects != nil {
		r.recordOutcomes(f.spec.Name, s.Name, out.Objects)
	}
	st.Drift = len(out.Drift)
	if len(out.Drift) > 0 {
		r.event(f.spec.Name, state.EventDriftDetected, map[string]any{"sink": s.Name, "drift": out.Drift, "sync_id": run.status().ID})
		f.log.Warn("drift detected", "sink", s.Name, "resources", len(out.Drift))
	}
	r.opts.Metrics.drift.WithLabelValues(f.spec.Name, s.Name).Set(float64(len(out.Drift)))
	if err != nil {
		st.Status, st.Error = "failed", err.Error()
		return st, err
	}
	switch {
	case s.DetectOnly && len(out.Drift) > 0:
		st.Status = "drift"
		return st, nil
	case s.DetectOnly:
		st.Status = "unchanged"
		return st, nil
	}
	st.Applied, st.Deleted = len(diff.Create)+len(diff.Update), len(diff.Delete)
	if out.Objects != nil {
		st.countObjects(out.Objects)
	}
	st.Status = "unchanged"
	if st.Applied+st.Deleted > 0 {
		st.Status = "applied"
	}
	return st, diskFull(f, r.recordInventory(f.spec.Name, s.Name, diff))
}

// recordOutcomes keeps each resource's last outcome at a per-object sink
// for the API's resource list.
func (r *Reconciler) recordOutcomes(fabric, sink string, objs []contract.ObjectResult) {
	now := r.opts.Now()
	items := make([]state.ObjectOutcome, len(objs))
	for i, o := range objs {
		items[i] = state.ObjectOutcome{Key: o.Key, Outcome: o.Outcome, Message: o.Message, At: now}
	}
	r.storeErr(r.opts.Store.ReplaceOutcomes(fabric, sink, items))
}

// countObjects takes the counts from a sink that reports what it did per
// object: it may have applied more than fgd changed (drift it restored) or
// less (resources the API server refused).
func (st *SinkStatus) countObjects(objs []contract.ObjectResult) {
	st.Applied, st.Deleted = 0, 0
	for _, o := range objs {
		switch o.Outcome {
		case contract.ObjectApplied:
			st.Applied++
		case contract.ObjectDeleted:
			st.Deleted++
		case contract.ObjectConflict:
			st.Conflicts++
			st.Problems = append(st.Problems, o)
		case contract.ObjectRejected:
			st.Rejected++
			st.Problems = append(st.Problems, o)
		}
	}
}

// recordInventory writes what a sink now holds to the store and to the
// state directory, so a restart re-applies nothing that did not change.
func (r *Reconciler) recordInventory(fabric, sink string, d state.Diff) error {
	if len(d.Create)+len(d.Update)+len(d.Delete) == 0 {
		return nil
	}
	now := r.opts.Now()
	var ups []state.InventoryItem
	for _, list := range [][]*state.Resource{d.Create, d.Update} {
		for _, res := range list {
			ups = append(ups, state.InventoryItem{Fabric: fabric, Sink: sink, Key: res.Key, Hash: res.Hash, AppliedAt: now, Body: res.Body})
		}
	}
	var dels []string
	for _, it := range d.Delete {
		dels = append(dels, it.Key)
	}
	if err := r.opts.Store.ApplyInventory(fabric, sink, ups, dels); err != nil {
		return err
	}
	if r.opts.StateDir == "" {
		return nil
	}
	return r.opts.Store.SaveInventory(r.opts.StateDir, fabric, sink)
}

// loadInventories puts the persisted inventories of a fabric's sinks into
// the store when the fabric starts.
func (r *Reconciler) loadInventories(f *fabric) {
	if r.opts.StateDir == "" {
		return
	}
	// The fabric is starting, so no sync of it is saving an inventory now.
	removed, err := state.RemoveInventoryTemps(r.opts.StateDir, f.spec.Name)
	for _, p := range removed {
		f.log.Info("removed the temp file of an interrupted inventory save", "file", p)
	}
	if err != nil {
		f.log.Warn("cannot remove the temp files of interrupted inventory saves", "err", err)
	}
	for _, s := range f.spec.Sinks {
		if _, err := r.opts.Store.LoadInventory(r.opts.StateDir, f.spec.Name, s.Name); err != nil {
			// A lost inventory costs one full re-apply, never a wrong prune:
			// with an empty inventory nothing is deleted.
			f.log.Error("sink inventory unreadable; the sink will be re-applied in full", "sink", s.Name, "err", err)
		}
	}
}
