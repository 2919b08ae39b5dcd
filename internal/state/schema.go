package state

import (
	"encoding/binary"
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// Table names. Index(table) takes one of these.
const (
	TableFabrics   = "fabrics"
	TableResources = "resources"
	TableInventory = "inventory"
	TableSyncs     = "syncs"
	TableEvents    = "events"
	TableOutcomes  = "outcomes"

	// tableIndex holds the latest modify index of every other table.
	tableIndex = "index"
)

// Index names. Every table has indexID ("id"), memdb's primary key.
const (
	indexID            = "id"
	indexFabric        = "fabric"
	indexStarted       = "started"
	indexFabricStarted = "fabric_started"

	// indexIDPrefix scans the primary key by prefix: a fabric's rows, or
	// one sink's, of a table whose key starts with them. One index per
	// table, not one per query: each index holds radix-tree nodes and a
	// copy of its key for every row, several hundred bytes per resource.
	indexIDPrefix = indexID + "_prefix"
)

// schemaFuncs builds the tables, one function each, in the order they are
// listed to memdb.
var schemaFuncs = []func() *memdb.TableSchema{
	indexTableSchema,
	fabricsTableSchema,
	resourcesTableSchema,
	inventoryTableSchema,
	syncsTableSchema,
	eventsTableSchema,
	outcomesTableSchema,
}

// dbSchema is the whole go-memdb schema of the store.
func dbSchema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: make(map[string]*memdb.TableSchema, len(schemaFuncs))}
	for _, f := range schemaFuncs {
		t := f()
		s.Tables[t.Name] = t
	}
	return s
}

// indexTableSchema holds one row per table: its latest modify index.
func indexTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableIndex,
		Indexes: map[string]*memdb.IndexSchema{
			// Index(table): the latest modify index of one table.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Table"}},
		},
	}
}

// fabricsTableSchema holds one row per configured fabric.
func fabricsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableFabrics,
		Indexes: map[string]*memdb.IndexSchema{
			// Fabric(name) and Fabrics() in name order.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		},
	}
}

// resourcesTableSchema holds the desired set of every fabric: one row per
// fabric (a desiredSet), its resources a slice sorted by key.
func resourcesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableResources,
		Indexes: map[string]*memdb.IndexSchema{
			// One fabric's desired set: Desired(fabric), DesiredByKind,
			// DesiredOfKind, Diff, ReplaceDesired and DeleteFabric. No index
			// per kind: one kind's resources are a filter over a scan that
			// takes well under a millisecond for 5,000.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Fabric"}},
		},
	}
}

// inventoryTableSchema holds what each sink of each fabric holds now: one
// row per sink (a sinkInventory), its items a slice sorted by key. A row per
// item would cost each resource radix-tree nodes, a watch channel and a
// copy of its key; a sink's inventory is only ever read, replaced and
// pruned whole, and a sync's upserts merge into a new slice.
func inventoryTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableInventory,
		Indexes: map[string]*memdb.IndexSchema{
			// One sink's inventory: Inventory(fabric, sink), Diff and the
			// writes. Its prefix (fabric) is DeleteFabric.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "Fabric"},
				&memdb.StringFieldIndex{Field: "Sink"},
			}}},
		},
	}
}

// syncsTableSchema holds the syncs, running and finished.
func syncsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableSyncs,
		Indexes: map[string]*memdb.IndexSchema{
			// Sync(id): GET /api/v1/syncs/{id}.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			// DeleteFabric's removal of a fabric's syncs.
			indexFabric: {Name: indexFabric, Indexer: &memdb.StringFieldIndex{Field: "Fabric"}},
			// Syncs("", n): the newest n syncs of all fabrics.
			indexStarted: {Name: indexStarted, Indexer: &startedIndex{}},
			// Syncs(fabric, n): a fabric's newest n syncs, and the
			// retention that drops its oldest finished ones.
			indexFabricStarted: {Name: indexFabricStarted, Indexer: &fabricStartedIndex{}},
		},
	}
}

// eventsTableSchema holds the bounded ring of recent events.
func eventsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableEvents,
		Indexes: map[string]*memdb.IndexSchema{
			// Events(after, n) in index order, and the ring's trimming of
			// the oldest.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.UintFieldIndex{Field: "Index"}},
		},
	}
}

// encodeTime turns t into 8 bytes that sort like the times do (the sign bit
// flipped so times before 1970 sort first).
func encodeTime(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano())^(1<<63))
	return b[:]
}

// startedIndex indexes a *Sync by its Started time.
type startedIndex struct{}

// FromObject implements memdb.SingleIndexer.
func (startedIndex) FromObject(obj any) (bool, []byte, error) {
	s, ok := obj.(*Sync)
	if !ok {
		return false, nil, fmt.Errorf("started index: want *Sync, got %T", obj)
	}
	return true, encodeTime(s.Started), nil
}

// FromArgs implements memdb.Indexer: one time.Time.
func (startedIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("started index: want 1 argument, got %d", len(args))
	}
	t, ok := args[0].(time.Time)
	if !ok {
		return nil, fmt.Errorf("started index: want a time.Time, got %T", args[0])
	}
	return encodeTime(t), nil
}

// fabricStartedIndex indexes a *Sync by Fabric, then Started. Its prefix
// form takes the fabric alone, terminated, so "dc1" never matches "dc10".
type fabricStartedIndex struct{}

// FromObject implements memdb.SingleIndexer.
func (fabricStartedIndex) FromObject(obj any) (bool, []byte, error) {
	s, ok := obj.(*Sync)
	if !ok {
		return false, nil, fmt.Errorf("fabric_started index: want *Sync, got %T", obj)
	}
	if s.Fabric == "" {
		return false, nil, nil
	}
	return true, append([]byte(s.Fabric+"\x00"), encodeTime(s.Started)...), nil
}

// FromArgs implements memdb.Indexer: a fabric name and a time.Time.
func (fabricStartedIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("fabric_started index: want 2 arguments, got %d", len(args))
	}
	f, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("fabric_started index: want a fabric name, got %T", args[0])
	}
	t, ok := args[1].(time.Time)
	if !ok {
		return nil, fmt.Errorf("fabric_started index: want a time.Time, got %T", args[1])
	}
	return append([]byte(f+"\x00"), encodeTime(t)...), nil
}

// PrefixFromArgs implements memdb.PrefixIndexer: a fabric name alone.
func (fabricStartedIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("fabric_started index: want 1 argument for a prefix, got %d", len(args))
	}
	f, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("fabric_started index: want a fabric name, got %T", args[0])
	}
	return []byte(f + "\x00"), nil
}

// outcomesTableSchema holds each resource's last outcome at each sink that
// reports per object.
func outcomesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableOutcomes,
		Indexes: map[string]*memdb.IndexSchema{
			// One resource at one sink. Its prefixes are ReplaceOutcomes of
			// one sink (fabric, sink), and Outcomes(fabric) for the resources
			// list and DeleteFabric (fabric).
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "Fabric"},
				&memdb.StringFieldIndex{Field: "Sink"},
				&memdb.StringFieldIndex{Field: "Key"},
			}}},
		},
	}
}

// fabricArgs are the prefix-scan arguments of indexIDPrefix that select
// the rows of one fabric, or of one sink of it (fabric, sink): each name
// given whole, with its terminator, and an empty prefix of the next field,
// so "dc1" never matches "dc10".
func fabricArgs(names ...string) []any {
	args := make([]any, 0, len(names)+1)
	for _, n := range names {
		args = append(args, n)
	}
	return append(args, "")
}
