package state

import (
	"errors"
	"fmt"
	"reflect"

	memdb "github.com/hashicorp/go-memdb"
)

// ErrNoFabric is UpdateFabric's error for a fabric the store does not hold
// (one removed meanwhile): the update is dropped, never turned into a new
// row.
var ErrNoFabric = errors.New("state: no such fabric")

// UpdateFabric applies fn to a copy of the named fabric and stores the
// result, in one write transaction: concurrent updates of one fabric never
// lose each other's changes. An fn that changes nothing writes nothing, so
// watchers are not woken. A fabric the store does not hold is ErrNoFabric.
func (s *Store) UpdateFabric(name string, fn func(f *Fabric)) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	changed, err := s.updateFabric(txn, name, false, func(f *Fabric, _ bool) { fn(f) })
	if err != nil || !changed {
		return err
	}
	txn.Commit()
	return nil
}

// PutFabric is UpdateFabric for a fabric that may be new: fn is given a
// Fabric holding only the name, and created true, when the store holds
// none.
func (s *Store) PutFabric(name string, fn func(f *Fabric, created bool)) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	changed, err := s.updateFabric(txn, name, true, fn)
	if err != nil || !changed {
		return err
	}
	txn.Commit()
	return nil
}

// updateFabric is the read-copy-write of UpdateFabric and PutFabric inside
// txn, which the caller commits when changed is true.
func (s *Store) updateFabric(txn *memdb.Txn, name string, create bool, fn func(*Fabric, bool)) (changed bool, err error) {
	if name == "" {
		return false, errEmpty("fabric name")
	}
	raw, err := txn.First(TableFabrics, indexID, name)
	if err != nil {
		return false, fmt.Errorf("state: look up fabric %s: %w", name, err)
	}
	old := &Fabric{Name: name}
	switch {
	case raw != nil:
		old = raw.(*Fabric)
	case !create:
		return false, fmt.Errorf("%w: %s", ErrNoFabric, name)
	}
	rec := old.Copy()
	fn(rec, raw == nil)
	rec.Name, rec.ModifyIndex = name, old.ModifyIndex
	if raw != nil && reflect.DeepEqual(rec, old) {
		return false, nil
	}
	index := s.nextIndex()
	rec.ModifyIndex = index
	if err := txn.Insert(TableFabrics, rec); err != nil {
		return false, fmt.Errorf("state: update fabric %s: %w", name, err)
	}
	return true, s.bumpIndex(txn, index, TableFabrics)
}

// UpsertFabric inserts f or replaces the fabric of the same name. The store
// sets f.ModifyIndex.
func (s *Store) UpsertFabric(f Fabric) error {
	if f.Name == "" {
		return errEmpty("fabric name")
	}
	txn := s.db.Txn(true)
	defer txn.Abort()

	index := s.nextIndex()
	rec := f.Copy()
	rec.ModifyIndex = index
	if err := txn.Insert(TableFabrics, rec); err != nil {
		return fmt.Errorf("state: upsert fabric %s: %w", f.Name, err)
	}
	if err := s.bumpIndex(txn, index, TableFabrics); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// DeleteFabric removes a fabric with its desired resources, its sinks'
// inventories and its syncs; its events stay in the ring. Deleting a fabric
// that is not there is not an error.
func (s *Store) DeleteFabric(name string) error {
	if name == "" {
		return errEmpty("fabric name")
	}
	txn := s.db.Txn(true)
	defer txn.Abort()

	var touched []string
	n, err := txn.DeleteAll(TableFabrics, indexID, name)
	if err != nil {
		return fmt.Errorf("state: delete fabric %s: %w", name, err)
	}
	if n > 0 {
		touched = append(touched, TableFabrics)
	}
	for _, t := range []string{TableResources, TableInventory, TableSyncs, TableOutcomes} {
		index, args := indexIDPrefix, fabricArgs(name)
		switch t {
		case TableSyncs:
			index, args = indexFabric, []any{name}
		case TableResources:
			index, args = indexID, []any{name}
		}
		n, err := txn.DeleteAll(t, index, args...)
		if err != nil {
			return fmt.Errorf("state: delete the %s of fabric %s: %w", t, name, err)
		}
		if n > 0 {
			touched = append(touched, t)
		}
	}
	if len(touched) == 0 {
		return nil
	}
	if err := s.bumpIndex(txn, s.nextIndex(), touched...); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// Fabric returns a copy of the named fabric, or nil when there is none;
// ws then watches for it to change or appear.
func (s *Store) Fabric(ws memdb.WatchSet, name string) (*Fabric, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableFabrics, indexID, name)
	if err != nil {
		return nil, fmt.Errorf("state: look up fabric %s: %w", name, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*Fabric).Copy(), nil
}

// Fabrics returns copies of every fabric, in name order; ws watches the
// whole table.
func (s *Store) Fabrics(ws memdb.WatchSet) ([]*Fabric, error) {
	txn := s.db.Txn(false)
	it, err := txn.Get(TableFabrics, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list fabrics: %w", err)
	}
	watch(ws, it.WatchCh())
	var out []*Fabric
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Fabric).Copy())
	}
	return out, nil
}

// FabricSyncs is a fabric with its running sync and the latest that ended,
// as one read saw them; either sync is nil when there is none (or when the
// store no longer keeps it).
type FabricSyncs struct {
	Fabric            *Fabric
	Current, Finished *Sync
}

// FabricsWithSyncs returns copies of every fabric with its current and
// finished syncs, in name order, all read in one transaction: what it
// returns is one moment of the store. ws watches the fabrics table.
func (s *Store) FabricsWithSyncs(ws memdb.WatchSet) ([]FabricSyncs, error) {
	txn := s.db.Txn(false)
	it, err := txn.Get(TableFabrics, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list fabrics: %w", err)
	}
	watch(ws, it.WatchCh())
	sync := func(id string) (*Sync, error) {
		if id == "" {
			return nil, nil
		}
		raw, err := txn.First(TableSyncs, indexID, id)
		if err != nil || raw == nil {
			return nil, err
		}
		return raw.(*Sync).Copy(), nil
	}
	var out []FabricSyncs
	for raw := it.Next(); raw != nil; raw = it.Next() {
		f := raw.(*Fabric)
		fs := FabricSyncs{Fabric: f.Copy()}
		if fs.Current, err = sync(f.CurrentSyncID); err != nil {
			return nil, fmt.Errorf("state: look up sync %s of fabric %s: %w", f.CurrentSyncID, f.Name, err)
		}
		if fs.Finished, err = sync(f.FinishedSyncID); err != nil {
			return nil, fmt.Errorf("state: look up sync %s of fabric %s: %w", f.FinishedSyncID, f.Name, err)
		}
		out = append(out, fs)
	}
	return out, nil
}
