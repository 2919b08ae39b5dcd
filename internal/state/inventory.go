package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/fgdproject/fgd/internal/fgd"
)

// ReplaceInventory makes items the whole inventory of one sink of fabric,
// in one transaction (at start-up, from what the sink reports it holds).
// Each item gets Fabric and Sink set; keys must be unique, keys and hashes
// not empty. The store keeps the Body slices: do not change them after the
// call.
func (s *Store) ReplaceInventory(fabric, sink string, items []InventoryItem) error {
	rows, err := inventoryRows(fabric, sink, items)
	if err != nil {
		return err
	}
	slices.SortFunc(rows, byItemKey)
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := putInventory(txn, fabric, sink, rows); err != nil {
		return err
	}
	if err := s.bumpIndex(txn, s.nextIndex(), TableInventory); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// ApplyInventory records what a sink just did, in one transaction: upserts
// (created or updated items) are inserted or replaced, the keys in deletes
// removed. A sink that applied part of a diff records that part, so a
// restart does not apply it again.
func (s *Store) ApplyInventory(fabric, sink string, upserts []InventoryItem, deletes []string) error {
	rows, err := inventoryRows(fabric, sink, upserts)
	if err != nil {
		return err
	}
	if len(rows)+len(deletes) == 0 {
		return nil
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	old, err := inventory(txn, nil, fabric, sink)
	if err != nil {
		return err
	}
	if err := putInventory(txn, fabric, sink, mergeItems(old, rows, deletes)); err != nil {
		return err
	}
	if err := s.bumpIndex(txn, s.nextIndex(), TableInventory); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// Inventory returns what one sink of fabric holds, sorted by key; ws
// watches it. The items are the store's own: do not change them.
func (s *Store) Inventory(ws memdb.WatchSet, fabric, sink string) ([]*InventoryItem, error) {
	txn := s.db.Txn(false)
	return inventory(txn, ws, fabric, sink)
}

// Diff compares the desired set of fabric with what sink holds, by key and
// content hash, in one read transaction (one consistent view of both).
func (s *Store) Diff(fabric, sink string) (Diff, error) {
	txn := s.db.Txn(false)
	want, err := desired(txn, nil, fabric)
	if err != nil {
		return Diff{}, err
	}
	have, err := inventory(txn, nil, fabric, sink)
	if err != nil {
		return Diff{}, err
	}
	held := make(map[string]*InventoryItem, len(have))
	for _, it := range have {
		held[it.Key] = it
	}
	var d Diff
	for _, r := range want {
		it, ok := held[r.Key]
		switch {
		case !ok:
			d.Create = append(d.Create, r)
		case it.Hash != r.Hash:
			d.Update = append(d.Update, r)
		default:
			d.Unchanged++
		}
		delete(held, r.Key)
	}
	for _, it := range have {
		if _, gone := held[it.Key]; gone {
			d.Delete = append(d.Delete, it)
		}
	}
	// Both scans come sorted from their indexes; sorting again is cheap
	// and keeps the promise whatever the index layout becomes.
	byKey := func(a, b *Resource) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(d.Create, byKey)
	slices.SortFunc(d.Update, byKey)
	slices.SortFunc(d.Delete, func(a, b *InventoryItem) int { return strings.Compare(a.Key, b.Key) })
	return d, nil
}

// inventoryDir is the folder below state_dir that holds the inventories of
// a fabric's sinks, one <sink>.json each.
func inventoryDir(fabric string) string { return filepath.Join("inventory", fabric) }

// savedItem is one item of a saved inventory file.
type savedItem struct {
	Key       string    `json:"key"`
	Hash      string    `json:"hash"`
	AppliedAt time.Time `json:"applied_at"`
	Body      []byte    `json:"body,omitempty"`
}

// SaveInventory writes the inventory of one sink of fabric to
// <stateDir>/inventory/<fabric>/<sink>.json, atomically, so a restart
// re-applies nothing that did not change.
func (s *Store) SaveInventory(stateDir, fabric, sink string) error {
	items, err := s.Inventory(nil, fabric, sink)
	if err != nil {
		return err
	}
	out := make([]savedItem, len(items))
	for i, it := range items {
		out[i] = savedItem{Key: it.Key, Hash: it.Hash, AppliedAt: it.AppliedAt, Body: it.Body}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("save the inventory of sink %s: %w", sink, err)
	}
	path := filepath.Join(stateDir, inventoryDir(fabric), sink+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("save the inventory of sink %s: %w (check state_dir)", sink, err)
	}
	if _, err := fgd.WriteFileAtomic(path, data, 0o640); err != nil {
		return fmt.Errorf("save the inventory of sink %s: %w (check state_dir)", sink, err)
	}
	return nil
}

// LoadInventory makes the inventory saved by SaveInventory the whole
// inventory of one sink of fabric. It reports false, and changes nothing,
// when none was saved. The file is read with fgd's safe reader: a symlink
// or an oversized file is an error, never followed or read.
func (s *Store) LoadInventory(stateDir, fabric, sink string) (bool, error) {
	rel := filepath.Join(inventoryDir(fabric), sink+".json")
	data, err := fgd.ReadFile(stateDir, rel, fgd.MaxStateFileBytes)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	var saved []savedItem
	if err == nil {
		err = json.Unmarshal(data, &saved)
	}
	if err != nil {
		return false, fmt.Errorf("read the inventory of sink %s from %s: %w", sink, filepath.Join(stateDir, rel), err)
	}
	items := make([]InventoryItem, len(saved))
	for i, it := range saved {
		items[i] = InventoryItem{Key: it.Key, Hash: it.Hash, AppliedAt: it.AppliedAt, Body: it.Body}
	}
	if err := s.ReplaceInventory(fabric, sink, items); err != nil {
		return false, fmt.Errorf("load the inventory of sink %s from %s: %w", sink, filepath.Join(stateDir, rel), err)
	}
	return true, nil
}

// RemoveInventoryTemps removes the temp files of a fabric's inventory saves
// that a crash interrupted: nothing else would, and each crash would leave
// one more. Call it only while no sync of the fabric runs. It returns the
// files removed, and an error naming each one it could not remove.
func RemoveInventoryTemps(stateDir, fabric string) ([]string, error) {
	dir := filepath.Join(stateDir, inventoryDir(fabric))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil // no inventory saved yet, or nothing fgd can list
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !fgd.IsTemp(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove the temp file of an interrupted inventory save: %w", err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}
