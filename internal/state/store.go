// Package state is fgd's in-memory store: fabrics, their desired resources,
// what each sink holds, syncs and events, in go-memdb tables with typed
// queries. Every read takes a memdb.WatchSet (nil for none) that the caller
// can block on until something it read changes, which is how the API's
// long polls and the event stream wait.
//
// Objects handed to a write are the caller's no more: the store keeps the
// byte slices of Resource.Body and InventoryItem.Body without copying them,
// so they must not be changed after the call. Reads of fabrics and syncs
// return copies; reads of resources, inventory items and events return the
// store's own objects, which must be treated as read-only (go-memdb shares
// them with every reader).
//
// Only this package imports go-memdb.
package state

import (
	"errors"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// Default retention of the store.
const (
	// DefaultMaxEvents is how many events the ring keeps.
	DefaultMaxEvents = 10000
	// DefaultSyncsPerFabric is how many syncs of a fabric are kept;
	// older finished ones are dropped as new ones start.
	DefaultSyncsPerFabric = 100
)

// Limits bounds what the store keeps. Zero values get the defaults.
type Limits struct {
	MaxEvents      int
	SyncsPerFabric int
}

// Store is fgd's in-memory state. It is safe for concurrent use: writes are
// serialized, reads never block writes.
type Store struct {
	db     *memdb.MemDB
	limits Limits

	// Guarded by go-memdb's writer lock: read and written only inside a
	// write transaction, before its Commit.
	latest    uint64 // the index of the latest write
	lastEvent uint64 // the Index of the latest event
	events    int    // rows in the events table
}

// indexEntry is a row of the index table.
type indexEntry struct {
	Table string
	Value uint64
}

// New returns an empty store with the default limits.
func New() (*Store, error) { return NewWithLimits(Limits{}) }

// NewWithLimits returns an empty store keeping at most what l says.
func NewWithLimits(l Limits) (*Store, error) {
	if l.MaxEvents < 0 || l.SyncsPerFabric < 0 {
		return nil, fmt.Errorf("state: limits must not be negative (events %d, syncs per fabric %d)", l.MaxEvents, l.SyncsPerFabric)
	}
	if l.MaxEvents == 0 {
		l.MaxEvents = DefaultMaxEvents
	}
	if l.SyncsPerFabric == 0 {
		l.SyncsPerFabric = DefaultSyncsPerFabric
	}
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		return nil, fmt.Errorf("state: build the schema: %w", err)
	}
	return &Store{db: db, limits: l}, nil
}

// Index returns the latest modify index of table (one of the Table*
// constants), or 0 when nothing was ever written to it. Indexes grow with
// every write to any table, so a client holding an index from one answer
// can ask to wait for anything newer (?wait=INDEX).
func (s *Store) Index(table string) uint64 {
	txn := s.db.Txn(false)
	raw, err := txn.First(tableIndex, indexID, table)
	if err != nil || raw == nil {
		return 0
	}
	return raw.(*indexEntry).Value
}

// nextIndex is the index a write transaction gives its changes. Only call
// it inside a write transaction.
func (s *Store) nextIndex() uint64 { return s.latest + 1 }

// bumpIndex records index as the latest of every table given, and as the
// store's latest. Only call it inside a write transaction, just before its
// Commit (nothing after it may fail).
func (s *Store) bumpIndex(txn *memdb.Txn, index uint64, tables ...string) error {
	for _, t := range tables {
		if err := txn.Insert(tableIndex, &indexEntry{Table: t, Value: index}); err != nil {
			return fmt.Errorf("state: record the index of table %s: %w", t, err)
		}
	}
	s.latest = index
	return nil
}

// watch adds ch to ws, when there is a ws.
func watch(ws memdb.WatchSet, ch <-chan struct{}) {
	if ws != nil {
		ws.Add(ch)
	}
}

// errEmpty says a required field is empty.
func errEmpty(what string) error {
	return errors.New("state: " + what + " must not be empty")
}
