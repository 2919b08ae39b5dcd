package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

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
		n, err := txn.DeleteAll(t, indexFabric, name)
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
