package state

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestUpsertSync(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	cases := []struct {
		name    string
		writes  []Sync
		wantErr string
	}{
		{name: "insert", writes: []Sync{{ID: "s1", Fabric: "dc1", State: SyncPending, Started: t0}}},
		{
			name: "transitions recorded",
			writes: []Sync{
				{ID: "s1", Fabric: "dc1", State: SyncPending, Started: t0, Transitions: []Transition{{SyncPending, t0}}},
				{
					ID: "s1", Fabric: "dc1", State: SyncCompleted, Started: t0, Finished: t0.Add(time.Second),
					Transitions: []Transition{{SyncPending, t0}, {SyncSyncing, t0.Add(time.Millisecond)}, {SyncCompleted, t0.Add(time.Second)}},
					Diff:        DiffSummary{Create: 2, Unchanged: 3},
					Sinks:       []SinkResult{{Name: "exec", Attempts: 3, Status: "ok", Output: "applied"}},
				},
			},
		},
		{name: "no id", writes: []Sync{{Fabric: "dc1"}}, wantErr: "sync id must not be empty"},
		{name: "no fabric", writes: []Sync{{ID: "s1"}}, wantErr: "sync s1 names no fabric"},
		{name: "moved fabric", writes: []Sync{{ID: "s1", Fabric: "dc1"}, {ID: "s1", Fabric: "dc2"}}, wantErr: "belongs to fabric dc1, not dc2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			var err error
			for _, sy := range tc.writes {
				if err = s.UpsertSync(sy); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.writes[len(tc.writes)-1]
			got, err := s.Sync(nil, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ModifyIndex == 0 || got.ModifyIndex != s.Index(TableSyncs) {
				t.Errorf("ModifyIndex = %d, Index(syncs) = %d", got.ModifyIndex, s.Index(TableSyncs))
			}
			got.ModifyIndex = 0
			if fmt.Sprint(*got) != fmt.Sprint(want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
			all, _ := s.Syncs(nil, want.Fabric, 0)
			if len(all) != 1 {
				t.Errorf("fabric has %d syncs, want 1", len(all))
			}
		})
	}
}

func TestSyncIsolatedFromCaller(t *testing.T) {
	s := newStore(t)
	sy := Sync{ID: "s1", Fabric: "dc1", Sinks: []SinkResult{{Name: "exec", Attempts: 1}}, Transitions: []Transition{{State: SyncPending}}}
	if err := s.UpsertSync(sy); err != nil {
		t.Fatal(err)
	}
	sy.Sinks[0].Attempts = 99 // the caller's slice, after the write
	got, _ := s.Sync(nil, "s1")
	got.Transitions[0].State = "scribbled" // the reader's copy
	again, _ := s.Sync(nil, "s1")
	if again.Sinks[0].Attempts != 1 || again.Transitions[0].State != SyncPending {
		t.Errorf("the stored sync changed through a caller's slice: %+v", again)
	}
}

func TestSyncsNewestFirst(t *testing.T) {
	s := newStore(t)
	t0 := time.Unix(1700000000, 0)
	// Inserted out of order; dc1 and dc10 share a prefix.
	for _, sy := range []Sync{
		{ID: "dc1-b", Fabric: "dc1", Started: t0.Add(2 * time.Second)},
		{ID: "dc10-a", Fabric: "dc10", Started: t0.Add(5 * time.Second)},
		{ID: "dc1-a", Fabric: "dc1", Started: t0.Add(1 * time.Second)},
		{ID: "dc1-c", Fabric: "dc1", Started: t0.Add(3 * time.Second)},
		{ID: "old", Fabric: "lab", Started: time.Unix(-100, 0)}, // before 1970 sorts first
	} {
		if err := s.UpsertSync(sy); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		fabric string
		limit  int
		want   []string
	}{
		{"dc1", 0, []string{"dc1-c", "dc1-b", "dc1-a"}},
		{"dc1", 2, []string{"dc1-c", "dc1-b"}},
		{"dc10", 0, []string{"dc10-a"}},
		{"", 3, []string{"dc10-a", "dc1-c", "dc1-b"}},
		{"", 0, []string{"dc10-a", "dc1-c", "dc1-b", "dc1-a", "old"}},
		{"nope", 0, nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.fabric, tc.limit), func(t *testing.T) {
			got, err := s.Syncs(nil, tc.fabric, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, sy := range got {
				ids = append(ids, sy.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("Syncs(%q, %d) = %v, want %v", tc.fabric, tc.limit, ids, tc.want)
			}
		})
	}
}

func TestSyncRetention(t *testing.T) {
	s, err := NewWithLimits(Limits{SyncsPerFabric: 3})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 0)
	// s0 never finishes: a running sync is kept whatever its age.
	if err := s.UpsertSync(Sync{ID: "s0", Fabric: "dc1", State: SyncSyncing, Started: t0}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		sy := Sync{ID: fmt.Sprintf("s%d", i), Fabric: "dc1", State: SyncCompleted, Started: t0.Add(time.Duration(i) * time.Second)}
		if err := s.UpsertSync(sy); err != nil {
			t.Fatal(err)
		}
		// Updating a sync is no new sync: it trims nothing.
		if err := s.UpsertSync(sy); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertSync(Sync{ID: "other", Fabric: "dc2", State: SyncCompleted, Started: t0}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Syncs(nil, "dc1", 0)
	var ids []string
	for _, sy := range got {
		ids = append(ids, sy.ID)
	}
	if want := []string{"s5", "s4", "s3", "s0"}; !slices.Equal(ids, want) {
		t.Errorf("kept %v, want %v", ids, want)
	}
	if sy, _ := s.Sync(nil, "s1"); sy != nil {
		t.Error("s1 should have been dropped")
	}
	if other, _ := s.Syncs(nil, "dc2", 0); len(other) != 1 {
		t.Errorf("dc2 kept %d syncs, want 1", len(other))
	}
}

func TestLimitsValidated(t *testing.T) {
	if _, err := NewWithLimits(Limits{MaxEvents: -1}); err == nil {
		t.Error("negative limits accepted")
	}
}
