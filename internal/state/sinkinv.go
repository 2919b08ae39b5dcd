package state

import (
	"fmt"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"
)

// sinkInventory is the row of one sink's whole inventory: its items sorted
// by key. A row is never changed once stored; a write stores a new one.
type sinkInventory struct {
	Fabric, Sink string
	Items        []*InventoryItem
}

// inventoryRows checks items and turns them into rows of fabric's sink.
func inventoryRows(fabric, sink string, items []InventoryItem) ([]*InventoryItem, error) {
	if fabric == "" {
		return nil, errEmpty("fabric name")
	}
	if sink == "" {
		return nil, errEmpty("sink name")
	}
	rows := make([]*InventoryItem, len(items))
	seen := make(map[string]int, len(items))
	for i := range items {
		it := items[i]
		switch {
		case it.Key == "":
			return nil, fmt.Errorf("state: inventory item %d of sink %s of fabric %s has no key", i, sink, fabric)
		case it.Hash == "":
			return nil, fmt.Errorf("state: inventory item %s of sink %s of fabric %s has no hash", it.Key, sink, fabric)
		}
		if j, dup := seen[it.Key]; dup {
			return nil, fmt.Errorf("state: inventory of sink %s of fabric %s holds %s twice (items %d and %d)", sink, fabric, it.Key, j, i)
		}
		seen[it.Key] = i
		it.Fabric, it.Sink = fabric, sink
		rows[i] = &it
	}
	return rows, nil
}

// byItemKey orders inventory items by key.
func byItemKey(a, b *InventoryItem) int { return strings.Compare(a.Key, b.Key) }

// mergeItems is old, sorted by key, with upserts inserted or replacing the
// item of their key and the keys in deletes removed; old is not changed.
func mergeItems(old, upserts []*InventoryItem, deletes []string) []*InventoryItem {
	byKey := make(map[string]*InventoryItem, len(old)+len(upserts))
	for _, it := range old {
		byKey[it.Key] = it
	}
	for _, it := range upserts {
		byKey[it.Key] = it
	}
	for _, k := range deletes {
		delete(byKey, k)
	}
	out := make([]*InventoryItem, 0, len(byKey))
	for _, it := range byKey {
		out = append(out, it)
	}
	slices.SortFunc(out, byItemKey)
	return out
}

// putInventory stores items, sorted by key, as the whole inventory of one
// sink of fabric; no items removes its row.
func putInventory(txn *memdb.Txn, fabric, sink string, items []*InventoryItem) error {
	if len(items) == 0 {
		if _, err := txn.DeleteAll(TableInventory, indexID, fabric, sink); err != nil {
			return fmt.Errorf("state: drop the inventory of sink %s of fabric %s: %w", sink, fabric, err)
		}
		return nil
	}
	row := &sinkInventory{Fabric: fabric, Sink: sink, Items: slices.Clip(items)}
	if err := txn.Insert(TableInventory, row); err != nil {
		return fmt.Errorf("state: record the inventory of sink %s of fabric %s: %w", sink, fabric, err)
	}
	return nil
}

// inventory lists one sink's items, sorted by key, in a slice of the
// caller's own; ws watches the sink's row.
func inventory(txn *memdb.Txn, ws memdb.WatchSet, fabric, sink string) ([]*InventoryItem, error) {
	ch, raw, err := txn.FirstWatch(TableInventory, indexID, fabric, sink)
	if err != nil {
		return nil, fmt.Errorf("state: list the inventory of sink %s of fabric %s: %w", sink, fabric, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return slices.Clone(raw.(*sinkInventory).Items), nil
}
