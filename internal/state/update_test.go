package state

import (
	"errors"
	"sync"
	"testing"
)

// Concurrent UpdateFabric calls never lose each other's changes: each is
// one read-copy-write transaction.
func TestUpdateFabricIsOneTransaction(t *testing.T) {
	s := newStore(t)
	if err := s.PutFabric("dc1", func(f *Fabric, created bool) {
		if !created {
			t.Error("PutFabric of a new fabric: created = false")
		}
		f.State = FabricIdle
	}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.UpdateFabric("dc1", func(f *Fabric) { f.Syncs++ }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := s.Fabric(nil, "dc1")
	if err != nil || f == nil || f.Syncs != n || f.State != FabricIdle {
		t.Fatalf("after %d concurrent updates: %+v, %v", n, f, err)
	}
	if err := s.PutFabric("dc1", func(f *Fabric, created bool) {
		if created {
			t.Error("PutFabric of a held fabric: created = true")
		}
	}); err != nil {
		t.Fatal(err)
	}
}

// An update that changes nothing writes nothing (no watcher wakes); one of
// a fabric the store does not hold is ErrNoFabric and creates no row.
func TestUpdateFabricNoChangeAndMissing(t *testing.T) {
	s := newStore(t)
	if err := s.UpsertFabric(Fabric{Name: "dc1", State: FabricIdle}); err != nil {
		t.Fatal(err)
	}
	before := s.Index(TableFabrics)
	ws := make(map[<-chan struct{}]struct{})
	if _, err := s.Fabric(ws, "dc1"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFabric("dc1", func(f *Fabric) { f.State = FabricIdle }); err != nil {
		t.Fatal(err)
	}
	if got := s.Index(TableFabrics); got != before {
		t.Errorf("an update changing nothing moved the index %d → %d", before, got)
	}
	err := s.UpdateFabric("gone", func(f *Fabric) { f.State = FabricFailed })
	if !errors.Is(err, ErrNoFabric) {
		t.Errorf("update of a missing fabric: %v, want ErrNoFabric", err)
	}
	if f, _ := s.Fabric(nil, "gone"); f != nil {
		t.Errorf("the update of a missing fabric created %+v", f)
	}
	if err := s.UpdateFabric("dc1", func(f *Fabric) { f.State = FabricSyncing }); err != nil {
		t.Fatal(err)
	}
	if !fired(ws) {
		t.Error("a real change did not fire the fabric's watch")
	}
}

// RecordSync writes a sync and its fabric's change in one transaction, at
// one index; a sync of a removed fabric is still stored.
func TestRecordSyncUpdatesItsFabric(t *testing.T) {
	s := newStore(t)
	if err := s.UpsertFabric(Fabric{Name: "dc1", State: FabricIdle}); err != nil {
		t.Fatal(err)
	}
	sy := Sync{ID: "s1", Fabric: "dc1", State: SyncInitializing}
	if err := s.RecordSync(sy, func(f *Fabric) { f.State, f.CurrentSyncID = FabricSyncing, "s1" }); err != nil {
		t.Fatal(err)
	}
	f, _ := s.Fabric(nil, "dc1")
	got, _ := s.Sync(nil, "s1")
	if f.State != FabricSyncing || f.CurrentSyncID != "s1" || got == nil || got.ModifyIndex != f.ModifyIndex {
		t.Errorf("fabric %+v, sync %+v: want both written at one index", f, got)
	}
	if err := s.RecordSync(Sync{ID: "s2", Fabric: "gone"}, func(f *Fabric) { f.Syncs++ }); err != nil {
		t.Fatalf("sync of a removed fabric: %v", err)
	}
	if f, _ := s.Fabric(nil, "gone"); f != nil {
		t.Errorf("RecordSync created fabric %+v", f)
	}
}

// FabricsWithSyncs reads each fabric with its running and finished syncs in
// one transaction; a sync the store no longer keeps reads as nil.
func TestFabricsWithSyncs(t *testing.T) {
	s := newStore(t)
	for _, f := range []Fabric{
		{Name: "dc1", CurrentSyncID: "s2", FinishedSyncID: "s1"},
		{Name: "lab", FinishedSyncID: "dropped"},
	} {
		if err := s.UpsertFabric(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, sy := range []Sync{{ID: "s1", Fabric: "dc1", State: SyncCompleted}, {ID: "s2", Fabric: "dc1", State: SyncProcessing}} {
		if err := s.UpsertSync(sy); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FabricsWithSyncs(nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("FabricsWithSyncs = %+v, %v", got, err)
	}
	dc1, lab := got[0], got[1]
	if dc1.Fabric.Name != "dc1" || dc1.Current == nil || dc1.Current.ID != "s2" || dc1.Finished == nil || dc1.Finished.State != SyncCompleted {
		t.Errorf("dc1: %+v", dc1)
	}
	if lab.Fabric.Name != "lab" || lab.Current != nil || lab.Finished != nil {
		t.Errorf("lab: %+v, want no syncs", lab)
	}
}
