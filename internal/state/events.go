package state

import (
	"fmt"
	"maps"
	"math"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// AddEvent appends e to the event ring and returns it as stored: with its
// Index (1, 2, 3, …: one more than the event before, so a reader that finds
// a gap knows the ring dropped events it did not read), and its Time set to
// now when it had none. Beyond Limits.MaxEvents the oldest events are
// dropped.
func (s *Store) AddEvent(e Event) (Event, error) {
	if e.Type == "" {
		return Event{}, errEmpty("event type")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Data = maps.Clone(e.Data)

	txn := s.db.Txn(true)
	defer txn.Abort()

	index := s.nextIndex()
	e.Index = s.lastEvent + 1
	row := e
	if err := txn.Insert(TableEvents, &row); err != nil {
		return Event{}, fmt.Errorf("state: add %s event: %w", e.Type, err)
	}
	count := s.events + 1
	if over := count - s.limits.MaxEvents; over > 0 {
		n, err := trimEvents(txn, over)
		if err != nil {
			return Event{}, err
		}
		count -= n
	}
	if err := s.bumpIndex(txn, index, TableEvents); err != nil {
		return Event{}, err
	}
	s.events, s.lastEvent = count, e.Index
	txn.Commit()
	// Data is shared with the stored row, which no one may change; hand the
	// caller a map of its own.
	e.Data = maps.Clone(e.Data)
	return e, nil
}

// trimEvents drops the n oldest events and returns how many it dropped.
func trimEvents(txn *memdb.Txn, n int) (int, error) {
	it, err := txn.Get(TableEvents, indexID)
	if err != nil {
		return 0, fmt.Errorf("state: list events: %w", err)
	}
	var drop []any
	for raw := it.Next(); raw != nil && len(drop) < n; raw = it.Next() {
		drop = append(drop, raw)
	}
	for _, raw := range drop {
		if err := txn.Delete(TableEvents, raw); err != nil {
			return 0, fmt.Errorf("state: drop event %d: %w", raw.(*Event).Index, err)
		}
	}
	return len(drop), nil
}

// Events returns the events with an Index above after, oldest first, at
// most limit of them (all when limit <= 0); ws watches for new events. An
// event stream passes the Index of the last event it sent as after; when
// the first event returned is not after+1, the ring dropped the ones
// between before they were read. The events are the store's own: do not
// change them (Copy one to).
func (s *Store) Events(ws memdb.WatchSet, after uint64, limit int) ([]*Event, error) {
	if after == math.MaxUint64 {
		after-- // nothing can come after it; keep after+1 from wrapping
	}
	txn := s.db.Txn(false)
	// A lower-bound scan has no watch channel: watch the whole table,
	// which every AddEvent changes.
	all, err := txn.Get(TableEvents, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list events: %w", err)
	}
	watch(ws, all.WatchCh())
	it, err := txn.LowerBound(TableEvents, indexID, after+1)
	if err != nil {
		return nil, fmt.Errorf("state: list events after %d: %w", after, err)
	}
	var out []*Event
	for raw := it.Next(); raw != nil && (limit <= 0 || len(out) < limit); raw = it.Next() {
		out = append(out, raw.(*Event))
	}
	return out, nil
}
