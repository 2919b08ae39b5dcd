package state

import (
	"errors"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// UpsertSync inserts sy or replaces the sync of the same ID; the store
// keeps its own copy and sets ModifyIndex. When a new sync makes its fabric
// hold more than Limits.SyncsPerFabric syncs, the oldest finished ones are
// dropped.
func (s *Store) UpsertSync(sy Sync) error { return s.RecordSync(sy, nil) }

// RecordSync is UpsertSync that also applies fabric, when not nil, to the
// sync's fabric as UpdateFabric does, in the same write transaction: a
// reader never sees a sync's new state beside its fabric's old one. A
// fabric the store does not hold (removed meanwhile) gets the sync alone.
func (s *Store) RecordSync(sy Sync, fabric func(f *Fabric)) error {
	switch {
	case sy.ID == "":
		return errEmpty("sync id")
	case sy.Fabric == "":
		return fmt.Errorf("state: sync %s names no fabric", sy.ID)
	}
	txn := s.db.Txn(true)
	defer txn.Abort()

	old, err := txn.First(TableSyncs, indexID, sy.ID)
	if err != nil {
		return fmt.Errorf("state: look up sync %s: %w", sy.ID, err)
	}
	if old != nil && old.(*Sync).Fabric != sy.Fabric {
		return fmt.Errorf("state: sync %s belongs to fabric %s, not %s", sy.ID, old.(*Sync).Fabric, sy.Fabric)
	}
	index := s.nextIndex()
	row := sy.Copy()
	row.ModifyIndex = index
	if err := txn.Insert(TableSyncs, row); err != nil {
		return fmt.Errorf("state: upsert sync %s of fabric %s: %w", sy.ID, sy.Fabric, err)
	}
	if old == nil {
		if err := s.trimSyncs(txn, sy.Fabric); err != nil {
			return err
		}
	}
	if fabric != nil {
		// The fabric's row gets the sync's index (nextIndex is unchanged
		// until bumpIndex).
		_, err := s.updateFabric(txn, sy.Fabric, false, func(f *Fabric, _ bool) { fabric(f) })
		if err != nil && !errors.Is(err, ErrNoFabric) {
			return err
		}
	}
	if err := s.bumpIndex(txn, index, TableSyncs); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// trimSyncs drops the oldest finished syncs of fabric beyond the limit.
// Running syncs are kept whatever their age.
func (s *Store) trimSyncs(txn *memdb.Txn, fabric string) error {
	it, err := txn.GetReverse(TableSyncs, indexFabricStarted+"_prefix", fabric)
	if err != nil {
		return fmt.Errorf("state: list the syncs of fabric %s: %w", fabric, err)
	}
	var drop []*Sync
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		sy := raw.(*Sync)
		n++
		if n > s.limits.SyncsPerFabric && sy.Done() {
			drop = append(drop, sy)
		}
	}
	for _, sy := range drop {
		if err := txn.Delete(TableSyncs, sy); err != nil {
			return fmt.Errorf("state: drop old sync %s of fabric %s: %w", sy.ID, fabric, err)
		}
	}
	return nil
}

// Sync returns a copy of the sync with id, or nil when there is none; ws
// watches it.
func (s *Store) Sync(ws memdb.WatchSet, id string) (*Sync, error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableSyncs, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: look up sync %s: %w", id, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*Sync).Copy(), nil
}

// Syncs returns copies of the newest syncs of fabric (of every fabric when
// fabric is ""), newest first, at most limit of them (all when limit <= 0);
// ws watches them.
func (s *Store) Syncs(ws memdb.WatchSet, fabric string, limit int) ([]*Sync, error) {
	txn := s.db.Txn(false)
	var it memdb.ResultIterator
	var err error
	if fabric == "" {
		it, err = txn.GetReverse(TableSyncs, indexStarted)
	} else {
		it, err = txn.GetReverse(TableSyncs, indexFabricStarted+"_prefix", fabric)
	}
	if err != nil {
		return nil, fmt.Errorf("state: list the syncs of fabric %q: %w", fabric, err)
	}
	watch(ws, it.WatchCh())
	var out []*Sync
	for raw := it.Next(); raw != nil && (limit <= 0 || len(out) < limit); raw = it.Next() {
		out = append(out, raw.(*Sync).Copy())
	}
	return out, nil
}
