package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// ReplaceOutcomes makes items the last outcomes of one sink of fabric, in
// one transaction: a sync reports every resource it handled, so what it
// does not name is gone from the sink. Each item gets Fabric and Sink set.
func (s *Store) ReplaceOutcomes(fabric, sink string, items []ObjectOutcome) error {
	switch {
	case fabric == "":
		return errEmpty("fabric name")
	case sink == "":
		return errEmpty("sink name")
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	if _, err := txn.DeleteAll(TableOutcomes, indexIDPrefix, fabricArgs(fabric, sink)...); err != nil {
		return fmt.Errorf("state: drop the outcomes of sink %s of fabric %s: %w", sink, fabric, err)
	}
	for i := range items {
		it := items[i]
		if it.Key == "" {
			return fmt.Errorf("state: outcome %d of sink %s of fabric %s has no key", i, sink, fabric)
		}
		it.Fabric, it.Sink = fabric, sink
		if err := txn.Insert(TableOutcomes, &it); err != nil {
			return fmt.Errorf("state: record the outcome of %s at sink %s of fabric %s: %w", it.Key, sink, fabric, err)
		}
	}
	if err := s.bumpIndex(txn, s.nextIndex(), TableOutcomes); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// Outcomes returns the last outcomes of every sink of fabric, sorted by
// sink and key; ws watches them. The items are the store's own: do not
// change them.
func (s *Store) Outcomes(ws memdb.WatchSet, fabric string) ([]*ObjectOutcome, error) {
	txn := s.db.Txn(false)
	it, err := txn.Get(TableOutcomes, indexIDPrefix, fabricArgs(fabric)...)
	if err != nil {
		return nil, fmt.Errorf("state: list the outcomes of fabric %s: %w", fabric, err)
	}
	watch(ws, it.WatchCh())
	var out []*ObjectOutcome
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ObjectOutcome))
	}
	return out, nil
}
