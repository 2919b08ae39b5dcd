package state

import (
	"context"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// TestWatchSets: a read's watch set fires when a write touches what it
// read, and not for writes elsewhere.
func TestWatchSets(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	seed := func(s *Store) error {
		if err := s.UpsertFabric(Fabric{Name: "dc1"}); err != nil {
			return err
		}
		if err := s.ReplaceDesired("dc1", "r1", []Resource{res("VPC", "a", "A")}); err != nil {
			return err
		}
		if err := s.ReplaceInventory("dc1", "exec", []InventoryItem{item(res("VPC", "a", "A"))}); err != nil {
			return err
		}
		if err := s.UpsertSync(Sync{ID: "s1", Fabric: "dc1", Started: t0}); err != nil {
			return err
		}
		_, err := s.AddEvent(Event{Type: EventFabricCreated})
		return err
	}
	otherFabric := func(s *Store) error { return s.UpsertFabric(Fabric{Name: "zz-other"}) }
	otherDesired := func(s *Store) error {
		return s.ReplaceDesired("zz-other", "r1", []Resource{res("VPC", "b", "B")})
	}
	cases := []struct {
		name  string
		read  func(*Store, memdb.WatchSet) error
		other func(*Store) error // must not fire the watch
		touch func(*Store) error // must fire it
	}{
		{
			name:  "fabric",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Fabric(ws, "dc1"); return err },
			other: otherDesired,
			touch: func(s *Store) error { return s.UpsertFabric(Fabric{Name: "dc1", State: FabricSyncing}) },
		},
		{
			name:  "missing fabric appears",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Fabric(ws, "new"); return err },
			other: otherDesired,
			touch: func(s *Store) error { return s.UpsertFabric(Fabric{Name: "new"}) },
		},
		{
			name:  "fabrics",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Fabrics(ws); return err },
			other: otherDesired,
			touch: func(s *Store) error { return s.DeleteFabric("dc1") },
		},
		{
			name:  "desired",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Desired(ws, "dc1"); return err },
			other: otherFabric,
			touch: func(s *Store) error { return s.ReplaceDesired("dc1", "r2", nil) },
		},
		{
			name:  "desired by kind",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.DesiredByKind(ws, "dc1"); return err },
			other: otherFabric,
			touch: func(s *Store) error {
				return s.ReplaceDesired("dc1", "r2", []Resource{res("VPC", "a", "A"), res("Switch", "s", "S")})
			},
		},
		{
			name:  "desired of kind",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.DesiredOfKind(ws, "dc1", "VPC"); return err },
			other: otherFabric,
			touch: func(s *Store) error { return s.ReplaceDesired("dc1", "r2", nil) },
		},
		{
			name:  "inventory",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Inventory(ws, "dc1", "exec"); return err },
			other: otherDesired,
			touch: func(s *Store) error {
				return s.ApplyInventory("dc1", "exec", []InventoryItem{item(res("VPC", "c", "C"))}, nil)
			},
		},
		{
			name:  "sync",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Sync(ws, "s1"); return err },
			other: otherFabric,
			touch: func(s *Store) error {
				return s.UpsertSync(Sync{ID: "s1", Fabric: "dc1", Started: t0, State: SyncCompleted})
			},
		},
		{
			name:  "syncs of a fabric",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Syncs(ws, "dc1", 10); return err },
			other: otherFabric,
			touch: func(s *Store) error { return s.UpsertSync(Sync{ID: "s2", Fabric: "dc1", Started: t0.Add(time.Second)}) },
		},
		{
			name:  "events",
			read:  func(s *Store, ws memdb.WatchSet) error { _, err := s.Events(ws, 1<<40, 0); return err },
			other: otherFabric,
			touch: func(s *Store) error { _, err := s.AddEvent(Event{Type: EventSyncFailed}); return err },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if err := seed(s); err != nil {
				t.Fatal(err)
			}
			ws := memdb.NewWatchSet()
			if err := tc.read(s, ws); err != nil {
				t.Fatal(err)
			}
			if len(ws) == 0 {
				t.Fatal("the read added nothing to the watch set")
			}
			if err := tc.other(s); err != nil {
				t.Fatal(err)
			}
			if firedYet(ws) {
				t.Fatal("a write elsewhere fired the watch set")
			}
			if err := tc.touch(s); err != nil {
				t.Fatal(err)
			}
			if !fired(ws) {
				t.Fatal("the watch set did not fire after a write to what was read")
			}
		})
	}
}

// TestBlockedReaderWakes is the long-poll shape: a reader blocks on its
// watch set until a write changes what it read, then reads the new value.
func TestBlockedReaderWakes(t *testing.T) {
	s := newStore(t)
	if err := s.UpsertFabric(Fabric{Name: "dc1", State: FabricIdle}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	waiting := make(chan uint64)
	got := make(chan *Fabric, 1)
	go func() {
		// Block until the fabric's index passes the one we saw.
		ws := memdb.NewWatchSet()
		f, _ := s.Fabric(ws, "dc1")
		seen := f.ModifyIndex
		waiting <- seen
		for f.ModifyIndex <= seen {
			if err := ws.WatchCtx(ctx); err != nil {
				got <- nil
				return
			}
			ws = memdb.NewWatchSet()
			f, _ = s.Fabric(ws, "dc1")
		}
		got <- f
	}()
	<-waiting
	if err := s.UpsertFabric(Fabric{Name: "dc1", State: FabricSyncing}); err != nil {
		t.Fatal(err)
	}
	f := <-got
	if f == nil {
		t.Fatal("the blocked reader never woke")
	}
	if f.State != FabricSyncing {
		t.Errorf("woken reader saw state %q, want %q", f.State, FabricSyncing)
	}
}
