package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

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
	if set, changed := keepSameRows(old, rows); changed {
		if err := putDesired(txn, fabric, set); err != nil {
			return err
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
	ch, raw, err := txn.FirstWatch(TableResources, indexID, fabric)
	if err != nil {
		return nil, fmt.Errorf("state: list the desired set of fabric %s: %w", fabric, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return slices.Clone(raw.(*desiredSet).Items), nil
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

// desiredSet is the row of one fabric's whole desired set: its resources
// sorted by key. A row per resource would cost each one radix-tree nodes,
// a watch channel and a copy of its key; the set is only ever read and
// replaced whole. A row is never changed once stored; a write stores a new
// one, sharing the unchanged resources with the old.
type desiredSet struct {
	Fabric string
	Items  []*Resource
}

// keepSameRows is rows sorted by key, each resource whose stored row in old
// already says the same (sameRow) replaced by that row, and whether the set
// differs from old at all.
func keepSameRows(old, rows []*Resource) ([]*Resource, bool) {
	had := make(map[string]*Resource, len(old))
	for _, o := range old {
		had[o.Key] = o
	}
	changed := len(old) != len(rows)
	for i, r := range rows {
		if o, ok := had[r.Key]; ok && sameRow(o, r) {
			rows[i] = o
			continue
		}
		changed = true
	}
	slices.SortFunc(rows, func(a, b *Resource) int { return strings.Compare(a.Key, b.Key) })
	return rows, changed
}

// putDesired stores set as the whole desired set of fabric; an empty set
// removes its row.
func putDesired(txn *memdb.Txn, fabric string, set []*Resource) error {
	if len(set) == 0 {
		if _, err := txn.DeleteAll(TableResources, indexID, fabric); err != nil {
			return fmt.Errorf("state: drop the desired set of fabric %s: %w", fabric, err)
		}
		return nil
	}
	if err := txn.Insert(TableResources, &desiredSet{Fabric: fabric, Items: slices.Clip(set)}); err != nil {
		return fmt.Errorf("state: store the desired set of fabric %s: %w", fabric, err)
	}
	return nil
}
