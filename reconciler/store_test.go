package reconciler_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
)

func TestStoreFollowsTheSyncs(t *testing.T) {
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "vpcs.yaml"), vpcDoc("vpc-1")+"---\n"+vpcDoc("vpc-2"))
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })

	f, err := store.Fabric(nil, "lab")
	if err != nil || f == nil {
		t.Fatalf("fabric not in the store: %v", err)
	}
	if f.State != state.FabricIdle || f.LastSyncID == "" || f.LastSuccess.IsZero() {
		t.Errorf("fabric record %+v: want idle with a last sync and success time", f)
	}
	sy, err := store.Sync(nil, f.LastSyncID)
	if err != nil || sy == nil {
		t.Fatalf("sync %s not in the store: %v", f.LastSyncID, err)
	}
	var states []string
	for _, tr := range sy.Transitions {
		states = append(states, string(tr.State))
	}
	if sy.State != state.SyncCompleted || len(states) != 5 || sy.Diff.Create != 2 {
		t.Errorf("sync record: state %s, transitions %v, diff %+v", sy.State, states, sy.Diff)
	}
	byKind, err := store.DesiredByKind(nil, "lab")
	if err != nil || byKind["VPC"] != 2 {
		t.Errorf("desired set by kind = %v (%v), want 2 VPCs", byKind, err)
	}
	evs, err := store.Events(nil, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		seen[e.Type] = true
	}
	for _, want := range []string{state.EventFabricCreated, state.EventDirectoryInitialized, state.EventFilesDiscovered,
		state.EventIngestionCompleted, state.EventSyncCompleted} {
		if !seen[want] {
			t.Errorf("no %s event (got %v)", want, seen)
		}
	}

	// A fabric that cannot sync records its failure and remediation.
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"},
		reconciler.FabricSpec{Name: "gone", Root: filepath.Join(root, "nope"), Hash: "2"})
	eventually(t, "the failing fabric's first sync", func() bool { return h.fabric("gone").Attempted })
	g, _ := store.Fabric(nil, "gone")
	if g == nil || g.State != state.FabricFailed || g.Remediation == "" {
		t.Errorf("failing fabric record %+v: want failed with a remediation", g)
	}
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"})
	if g, _ := store.Fabric(nil, "gone"); g != nil {
		t.Error("a removed fabric stays in the store")
	}
}

func TestSyncNowSuspendResume(t *testing.T) {
	root := t.TempDir()
	h := newHarness(t, reconciler.Options{})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })

	lock, err := fgd.Acquire(context.Background(), root, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	id, err := h.rec.SyncNow("lab", reconciler.Trigger{Kind: "manual"})
	if err != nil || id == "" {
		t.Fatalf("SyncNow: %q, %v", id, err)
	}
	eventually(t, "the sync to start", func() bool { return h.fabric("lab").Syncing })
	if cur := h.fabric("lab").Current; cur == nil || cur.ID != id {
		t.Errorf("running sync %+v, want the promised id %s", cur, id)
	}
	var busy *reconciler.BusyError
	if _, err := h.rec.SyncNow("lab", reconciler.Trigger{Kind: "manual"}); !errors.As(err, &busy) || busy.SyncID != id {
		t.Errorf("SyncNow during a sync = %v, want BusyError naming %s", err, id)
	}
	if _, err := h.rec.SyncNow("nope", reconciler.Trigger{Kind: "manual"}); !errors.Is(err, reconciler.ErrUnknownFabric) {
		t.Errorf("SyncNow of an unknown fabric = %v", err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sync to end", func() bool { f := h.fabric("lab"); return !f.Syncing && f.Last.ID == id })

	if err := h.rec.Suspend("lab"); err != nil {
		t.Fatal(err)
	}
	before := h.fabric("lab").Syncs
	write(t, filepath.Join(root, "raw", "vpc.yaml"), vpcDoc("vpc-s"))
	_ = h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual"})
	if _, err := h.rec.SyncNow("lab", reconciler.Trigger{Kind: "manual"}); !errors.Is(err, reconciler.ErrSuspended) {
		t.Errorf("SyncNow while suspended = %v, want ErrSuspended", err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := h.fabric("lab").Syncs; got != before || exists(filepath.Join(root, "managed/vpcs/vpc-s.yaml")) {
		t.Fatalf("a suspended fabric synced (%d → %d syncs)", before, got)
	}
	if err := h.rec.Resume("lab"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resume to sync the waiting file", func() bool { return exists(filepath.Join(root, "managed/vpcs/vpc-s.yaml")) })
}

// Readiness (Fabrics) and the API (the store) read one row: after syncs
// that succeed and fail they agree on every fact, and a change written to
// the row is what Fabrics shows next.
func TestFabricsReadTheStoreRow(t *testing.T) {
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "vpcs.yaml"), vpcDoc("vpc-1"))
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"},
		reconciler.FabricSpec{Name: "gone", Root: filepath.Join(root, "nope"), Hash: "2"})
	for _, name := range []string{"lab", "gone"} {
		eventually(t, name+"'s first sync", func() bool { f := h.fabric(name); return f.Attempted && !f.Syncing })
		f := h.fabric(name)
		row, err := store.Fabric(nil, name)
		if err != nil || row == nil || f.Last == nil {
			t.Fatalf("%s: row %+v (%v), last sync %+v", name, row, err, f.Last)
		}
		sy, err := store.Sync(nil, row.FinishedSyncID)
		if err != nil || sy == nil {
			t.Fatalf("%s: finished sync %q not in the store: %v", name, row.FinishedSyncID, err)
		}
		if f.Attempted != row.Attempted || f.Syncs != row.Syncs || !f.LastSuccess.Equal(row.LastSuccess) ||
			f.Suspended != row.Suspended || f.Last.ID != row.LastSyncID || f.Last.State != sy.State ||
			f.Last.Error != row.LastError || f.Last.ErrorClass != row.ErrorClass || f.Last.Revision != sy.Revision {
			t.Errorf("%s: Fabrics shows %+v (last %+v), the store row %+v (sync %+v)", name, f, *f.Last, row, sy)
		}
	}
	if f := h.fabric("gone"); f.Last.State != reconciler.StateFailed || f.Last.ErrorClass != "stalled" {
		t.Errorf("gone: last sync %s (%s), want failed, stalled", f.Last.State, f.Last.ErrorClass)
	}

	down := &state.Failure{Error: "git ls-remote: connection refused", Class: "transient", Remediation: "check the remote"}
	if err := store.UpdateFabric("lab", func(f *state.Fabric) { f.SourceError = down }); err != nil {
		t.Fatal(err)
	}
	if got := h.fabric("lab").SourceError; got == nil || got.Error != down.Error || got.Class != down.Class || got.Remediation != down.Remediation {
		t.Errorf("after the row's source error changed, Fabrics shows %+v, want %+v", got, down)
	}
}

// The store and the metrics are required: without the store the sinks
// would have no desired set, and a reconciler without it silently skipped
// them.
func TestNewRequiresStoreAndMetrics(t *testing.T) {
	registry, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	metrics := reconciler.NewMetrics(prometheus.NewRegistry())
	for _, tc := range []struct {
		name string
		opts reconciler.Options
		want string
	}{
		{"no store", reconciler.Options{Registry: registry, Metrics: metrics}, "state store is required"},
		{"no metrics", reconciler.Options{Registry: registry, Store: newStore(t)}, "metrics are required"},
	} {
		if _, err := reconciler.New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
