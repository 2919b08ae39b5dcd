package state

import (
	"fmt"
	"testing"
)

// TestSyncStateTransitions walks every pair of states: exactly the moves
// of SPEC §4's state machine are allowed, written out here a second time so
// a change to the table shows in the test.
func TestSyncStateTransitions(t *testing.T) {
	want := map[string]bool{}
	for _, m := range []string{
		"pending>initializing", "pending>retrying", "pending>failed",
		"initializing>discovering", "initializing>retrying", "initializing>failed",
		"discovering>processing", "discovering>retrying", "discovering>failed",
		"processing>syncing", "processing>reconciling", "processing>retrying", "processing>completed", "processing>failed",
		"syncing>reconciling", "syncing>retrying", "syncing>completed", "syncing>failed",
		"reconciling>completed", "reconciling>failed",
		"retrying>initializing", "retrying>failed",
	} {
		want[m] = true
	}
	states := syncStates()
	if len(states) != len(allowed) {
		t.Fatalf("syncStates lists %d states, the table has %d", len(states), len(allowed))
	}
	seen := 0
	for _, from := range states {
		for _, to := range states {
			move := fmt.Sprintf("%s>%s", from, to)
			if got := from.CanBecome(to); got != want[move] {
				t.Errorf("%s → %s allowed = %v, want %v", from, to, got, want[move])
			}
			if want[move] {
				seen++
			}
		}
		if from.Terminal() != (from == SyncCompleted || from == SyncFailed) {
			t.Errorf("%s.Terminal() = %v", from, from.Terminal())
		}
		if from.Terminal() && len(allowed[from]) > 0 {
			t.Errorf("terminal state %s allows moves %v", from, allowed[from])
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d expected moves are between listed states", seen, len(want))
	}
	if SyncState("bogus").CanBecome(SyncFailed) || SyncPending.CanBecome("bogus") {
		t.Error("a state outside the table takes part in a move")
	}
}

// Every state but the terminal ones can fail, and a successful sync can
// walk the path SPEC §4 gives, for a git fabric and for a dir fabric.
func TestSyncStatePaths(t *testing.T) {
	for _, s := range syncStates() {
		if !s.Terminal() && !s.CanBecome(SyncFailed) {
			t.Errorf("%s cannot fail", s)
		}
	}
	for _, path := range [][]SyncState{
		{SyncPending, SyncInitializing, SyncDiscovering, SyncProcessing, SyncSyncing, SyncReconciling, SyncCompleted},
		{SyncPending, SyncInitializing, SyncDiscovering, SyncProcessing, SyncCompleted},
		{SyncPending, SyncInitializing, SyncDiscovering, SyncProcessing, SyncSyncing, SyncRetrying, SyncInitializing},
	} {
		for i := 1; i < len(path); i++ {
			if !path[i-1].CanBecome(path[i]) {
				t.Errorf("path %v: %s → %s refused", path, path[i-1], path[i])
			}
		}
	}
}
