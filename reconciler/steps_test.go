package reconciler_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// panicSink panics in its first Apply and applies nothing after: a bug in
// a sink, which no real sink can be made to have on purpose (hence this
// fake).
type panicSink struct{ calls atomic.Int32 }

func (p *panicSink) Apply(context.Context, contract.Request) (contract.Outcome, error) {
	if p.calls.Add(1) == 1 {
		panic("sink bug")
	}
	return contract.Outcome{}, nil
}

// A step that panics still ends its sync through the one deferred block:
// the sync is failed with the panic in its error, its record and the
// fabric's row say so, the metrics count it and no sync stays active, the
// audit hook hears of it, and the fabric's next sync runs.
func TestAPanickingStepStillRecordsTheOutcome(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "vpc.yaml"), vpcDoc("vpc-1"))
	store := newStore(t)
	ended := make(chan reconciler.SyncStatus, 4)
	h := newHarness(t, reconciler.Options{Store: store, StateDir: t.TempDir(), Backoff: fastRetries,
		OnSyncEnd: func(st reconciler.SyncStatus) { ended <- st }})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1",
		Sinks: []reconciler.SinkSpec{{Name: "bug-0", Sink: &panicSink{}}}})

	st := next(t, ended)
	if st.State != reconciler.StateFailed || !strings.Contains(st.Error, "sink bug") {
		t.Fatalf("the panicking sync ended %s: %q, want failed naming the panic", st.State, st.Error)
	}
	f := h.fabric("lab")
	if f.Syncing || f.Last == nil || f.Last.ID != st.ID || f.Last.State != reconciler.StateFailed {
		t.Errorf("after the panic: syncing %v, last %+v", f.Syncing, f.Last)
	}
	if row, _ := store.Fabric(nil, "lab"); row == nil || row.CurrentSyncID != "" || row.FinishedSyncID != st.ID {
		t.Errorf("the fabric's row %+v still shows a running sync", row)
	}
	if got := h.value("fgd_syncs_total", `fabric="lab",result="failure"`); got != 1 {
		t.Errorf("fgd_syncs_total{failure} = %v, want 1", got)
	}
	if got := h.value("fgd_active_syncs", ""); got != 0 {
		t.Errorf("fgd_active_syncs = %v after the sync ended, want 0", got)
	}
	if _, err := h.rec.SyncNow("lab", reconciler.Trigger{Kind: "api"}); err != nil {
		t.Fatalf("SyncNow after the panic: %v", err)
	}
	if st := next(t, ended); st.State != reconciler.StateCompleted {
		t.Errorf("the next sync ended %s: %s", st.State, st.Error)
	}
}

// next waits for the next finished sync; the bound catches a hang only.
func next(t *testing.T, ended <-chan reconciler.SyncStatus) reconciler.SyncStatus {
	t.Helper()
	select {
	case st := <-ended:
		return st
	case <-time.After(2 * time.Minute):
		t.Fatal("no sync ended within 2 minutes")
		return reconciler.SyncStatus{}
	}
}
