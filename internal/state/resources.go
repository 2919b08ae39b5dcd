package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// ReplaceDesired makes rs the whole desired set of fabric at revision, in
// one transaction: readers see the old set or the new one, never a mix.
// Each resource gets Fabric and Revision set; a resource without a Hash
// gets the sha256 of its Body. Keys must be unique and not empty. The store
// keeps the Body slices: do not change them after the call. Only what
// changed is written: a resource whose row is the same (path, hash, names,
// revision) keeps its row, so a one-file change costs one row, not the set.
func (s *Store) ReplaceDesired(fabric, revision string, rs []Resource) error {
	rows, err := desiredRows(fabric, revision, rs)
	if err != nil {
		return err
	}
	txn := s.db.Txn(true)
	defer txn.Abort()

	old, err := desired(txn, nil, fabric)
	if err != nil {
		return err
	}
	gone := make(map[string]*Resource, len(old))
	for _, o := range old {
		gone[o.Key] = o
	}
	for _, r := range rows {
		o, had := gone[r.Key]
		delete(gone, r.Key)
		if had && sameRow(o, r) {
			continue
		}
		if err := txn.Insert(TableResources, r); err != nil {
			return fmt.Errorf("state: insert desired %s of fabric %s: %w", r.Key, fabric, err)
		}
	}
	for _, o := range gone {
		if err := txn.Delete(TableResources, o); err != nil {
			return fmt.Errorf("state: drop desired %s of fabric %s: %w", o.Key, fabric, err)
		}
	}
	if err := s.bumpIndex(txn, s.nextIndex(), TableResources); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// desiredRows checks rs and turns them into rows of fabric at revision.
func desiredRows(fabric, revision string, rs []Resource) ([]*Resource, error) {
	if fabric == "" {
		return nil, errEmpty("fabric name")
	}
	rows := make([]*Resource, len(rs))
	seen := make(map[string]int, len(rs))
	for i := range rs {
		r := rs[i]
		if r.Key == "" {
			return nil, fmt.Errorf("state: desired resource %d of fabric %s (path %q) has no key", i, fabric, r.Path)
		}
		if j, dup := seen[r.Key]; dup {
			return nil, fmt.Errorf("state: desired set of fabric %s holds %s twice (resources %d and %d): one identity must map to one resource", fabric, r.Key, j, i)
		}
		seen[r.Key] = i
		r.Fabric, r.Revision = fabric, revision
		if r.Hash == "" {
			r.Hash = HashBytes(r.Body)
		}
		rows[i] = &r
	}
	return rows, nil
}

// sameRow reports whether the stored row o already says what r says: the
// same hash means the same bytes.
func sameRow(o, r *Resource) bool {
	return o.Revision == r.Revision && o.Hash == r.Hash && o.Path == r.Path &&
		o.Kind == r.Kind && o.Name == r.Name && o.Namespace == r.Namespace
}

// Desired returns the desired set of fabric, sorted by key; ws watches it.
// The resources are the store's own: do not change them.
func (s *Store) Desired(ws memdb.WatchSet, fabric string) ([]*Resource, error) {
	txn := s.db.Txn(false)
	return desired(txn, ws, fabric)
}

func desired(txn *memdb.Txn, ws memdb.WatchSet, fabric string) ([]*Resource, error) {
	// The primary key is (fabric, key): the scan of the fabric's prefix
	// yields its resources sorted by key.
	it, err := txn.Get(TableResources, indexIDPrefix, fabricArgs(fabric)...)
	if err != nil {
		return nil, fmt.Errorf("state: list the desired set of fabric %s: %w", fabric, err)
	}
	watch(ws, it.WatchCh())
	var out []*Resource
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Resource))
	}
	return out, nil
}

// DesiredByKind counts the desired resources of fabric per kind; ws watches
// the fabric's desired set.
func (s *Store) DesiredByKind(ws memdb.WatchSet, fabric string) (map[string]int, error) {
	txn := s.db.Txn(false)
	rs, err := desired(txn, ws, fabric)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int)
	for _, r := range rs {
		out[r.Kind]++
	}
	return out, nil
}

// DesiredOfKind returns the desired resources of fabric of one kind, sorted
// by key; ws watches the fabric's desired set. The resources are the
// store's own: do not change them.
func (s *Store) DesiredOfKind(ws memdb.WatchSet, fabric, kind string) ([]*Resource, error) {
	txn := s.db.Txn(false)
	rs, err := desired(txn, ws, fabric)
	if err != nil {
		return nil, err
	}
	var out []*Resource
	for _, r := range rs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out, nil
}

// HashBytes is the content hash the store and the sinks compare: hex sha256.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
