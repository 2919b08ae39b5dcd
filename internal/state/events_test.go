package state

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestAddEvent(t *testing.T) {
	cases := []struct {
		name    string
		ev      Event
		wantErr bool
	}{
		{name: "with time", ev: Event{Fabric: "dc1", Type: EventSyncCompleted, Time: time.Unix(1700000000, 0), Data: map[string]any{"sync_id": "s1"}}},
		{name: "time filled in", ev: Event{Fabric: "dc1", Type: EventDriftDetected}},
		{name: "no type", ev: Event{Fabric: "dc1"}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			// A write to another table first: event indexes are their own
			// sequence, the table's modify index the store's.
			if err := s.UpsertFabric(Fabric{Name: "dc1"}); err != nil {
				t.Fatal(err)
			}
			got, err := s.AddEvent(tc.ev)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Index != 1 {
				t.Errorf("the first event has Index %d, want 1", got.Index)
			}
			if s.Index(TableEvents) <= s.Index(TableFabrics) {
				t.Errorf("Index(events) = %d, not after Index(fabrics) = %d", s.Index(TableEvents), s.Index(TableFabrics))
			}
			if got.Time.IsZero() || (!tc.ev.Time.IsZero() && !got.Time.Equal(tc.ev.Time)) {
				t.Errorf("Time = %v, want %v or now", got.Time, tc.ev.Time)
			}
			if tc.ev.Data != nil {
				tc.ev.Data["sync_id"] = "changed by the caller"
				got.Data["sync_id"] = "changed by the caller"
			}
			evs, _ := s.Events(nil, 0, 0)
			if len(evs) != 1 || evs[0].Index != got.Index || evs[0].Type != tc.ev.Type {
				t.Fatalf("Events = %+v", evs)
			}
			if tc.ev.Data != nil && evs[0].Data["sync_id"] != "s1" {
				t.Errorf("stored data changed through a caller's map: %v", evs[0].Data)
			}
		})
	}
}

func TestEventsAfter(t *testing.T) {
	s := newStore(t)
	var idx []uint64
	for i := range 5 {
		e, err := s.AddEvent(Event{Type: EventFilesDiscovered, Data: map[string]any{"n": i}})
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, e.Index)
	}
	cases := []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 0, idx},
		{idx[1], 0, idx[2:]},
		{idx[1], 2, idx[2:4]},
		{idx[4], 0, nil},
		{math.MaxUint64, 0, nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("after %d limit %d", tc.after, tc.limit), func(t *testing.T) {
			evs, err := s.Events(nil, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, e := range evs {
				got = append(got, e.Index)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("indexes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEventRingBound(t *testing.T) {
	for _, limit := range []int{1, 7, 100} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			s, err := NewWithLimits(Limits{MaxEvents: limit})
			if err != nil {
				t.Fatal(err)
			}
			var last []uint64
			for i := range 3*limit + 5 {
				e, err := s.AddEvent(Event{Type: EventSyncCompleted, Data: map[string]any{"i": i}})
				if err != nil {
					t.Fatal(err)
				}
				if e.Index != uint64(i+1) {
					t.Fatalf("event %d has Index %d, want %d", i, e.Index, i+1)
				}
				last = append(last, e.Index)
				if len(last) > limit {
					last = last[1:]
				}
				evs, _ := s.Events(nil, 0, 0)
				if len(evs) > limit {
					t.Fatalf("after %d events the ring holds %d, want at most %d", i+1, len(evs), limit)
				}
			}
			evs, _ := s.Events(nil, 0, 0)
			var got []uint64
			for _, e := range evs {
				got = append(got, e.Index)
			}
			if fmt.Sprint(got) != fmt.Sprint(last) {
				t.Errorf("ring holds %v, want the newest %v", got, last)
			}
		})
	}
}

func TestEventRingDefault(t *testing.T) {
	s := newStore(t)
	for range DefaultMaxEvents + 50 {
		if _, err := s.AddEvent(Event{Type: EventSyncCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := s.Events(nil, 0, 0)
	if len(evs) != DefaultMaxEvents {
		t.Errorf("ring holds %d events, want %d", len(evs), DefaultMaxEvents)
	}
}
