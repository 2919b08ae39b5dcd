package state

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// TestConcurrentReadersAndWriters runs writers of every table beside
// readers and blocking watchers; run with -race. Readers check the
// invariants a torn read would break: a desired set is always one whole
// revision, and indexes never go back.
func TestConcurrentReadersAndWriters(t *testing.T) {
	s := newStore(t)
	const (
		fabrics = 4
		rounds  = 100
		perSet  = 20
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var writers, readers sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for f := range fabrics {
		name := fmt.Sprintf("dc%d", f)
		writers.Add(1)
		go func() {
			defer writers.Done()
			for r := range rounds {
				rev := fmt.Sprintf("r%d", r)
				set := make([]Resource, perSet)
				for i := range set {
					set[i] = res("VPC", fmt.Sprintf("v%d", i), rev+fmt.Sprint(i))
				}
				steps := []func() error{
					func() error { return s.UpsertFabric(Fabric{Name: name, Revision: rev, State: FabricSyncing}) },
					func() error { return s.ReplaceDesired(name, rev, set) },
					func() error {
						d, err := s.Diff(name, "exec")
						if err != nil {
							return err
						}
						var up []InventoryItem
						for _, x := range append(d.Create, d.Update...) {
							up = append(up, InventoryItem{Key: x.Key, Hash: x.Hash})
						}
						return s.ApplyInventory(name, "exec", up, nil)
					},
					func() error {
						return s.UpsertSync(Sync{ID: name + rev, Fabric: name, State: SyncCompleted, Started: time.Unix(int64(r), 0)})
					},
					func() error { _, err := s.AddEvent(Event{Fabric: name, Type: EventSyncCompleted}); return err },
				}
				for _, step := range steps {
					if err := step(); err != nil {
						report(err)
						return
					}
				}
			}
		}()
	}
	for f := range fabrics {
		name := fmt.Sprintf("dc%d", f)
		readers.Add(2)
		go func() { // polling reader
			defer readers.Done()
			var lastIdx uint64
			for ctx.Err() == nil {
				rs, err := s.Desired(nil, name)
				if err != nil {
					report(err)
					return
				}
				if len(rs) != 0 && len(rs) != perSet {
					report(fmt.Errorf("%s: desired set of %d resources, want 0 or %d", name, len(rs), perSet))
				}
				for _, r := range rs {
					if r.Revision != rs[0].Revision {
						report(fmt.Errorf("%s: torn desired set: revisions %s and %s", name, rs[0].Revision, r.Revision))
					}
				}
				if _, err := s.Syncs(nil, name, 5); err != nil {
					report(err)
				}
				if _, err := s.Fabrics(nil); err != nil {
					report(err)
				}
				idx := s.Index(TableResources)
				if idx < lastIdx {
					report(fmt.Errorf("Index(resources) went back from %d to %d", lastIdx, idx))
				}
				lastIdx = idx
			}
		}()
		go func() { // blocking reader, the long-poll shape
			defer readers.Done()
			var after uint64
			for ctx.Err() == nil {
				ws := memdb.NewWatchSet()
				evs, err := s.Events(ws, after, 100)
				if err != nil {
					report(err)
					return
				}
				for _, e := range evs {
					if e.Index <= after {
						report(fmt.Errorf("event %d after %d", e.Index, after))
					}
					after = e.Index
				}
				if len(evs) == 0 {
					_ = ws.WatchCtx(ctx)
				}
			}
		}()
	}
	writers.Wait()
	cancel()
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for f := range fabrics {
		name := fmt.Sprintf("dc%d", f)
		d, err := s.Diff(name, "exec")
		if err != nil {
			t.Fatal(err)
		}
		if !d.Empty() || d.Unchanged != perSet {
			t.Errorf("%s: final diff %+v, want all %d unchanged", name, d.Summary(), perSet)
		}
	}
}
