package reconciler

import (
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// A move the state machine does not allow is refused with an error, the
// state left as it was, and the run remembers it so the sync fails with it;
// nothing panics, not even a move out of a terminal state.
func TestTransitionRefusesMovesOutsideTheTable(t *testing.T) {
	run := newSyncRun("s1", "lab", nil, time.Now)
	if err := run.transition(state.SyncInitializing); err != nil {
		t.Fatalf("pending → initializing: %v", err)
	}
	if err := run.transition(state.SyncInitializing); err != nil {
		t.Errorf("staying in a state: %v", err)
	}
	err := run.transition(state.SyncReconciling)
	if err == nil || !strings.Contains(err.Error(), "initializing → reconciling") {
		t.Fatalf("initializing → reconciling: err = %v, want a refusal naming the move", err)
	}
	if st := run.status(); st.State != state.SyncInitializing || len(st.Transitions) != 2 {
		t.Errorf("after a refused move: state %s, %d transitions", st.State, len(st.Transitions))
	}
	if run.moveErr() != err {
		t.Errorf("moveErr = %v, want the first refusal %v", run.moveErr(), err)
	}
	if c := resilience.ClassOf(stateBug(err)); c != resilience.ClassStalled {
		t.Errorf("a refused move is %s, want stalled: another attempt would be refused again", c)
	}
	run.fail(err)
	if st := run.status(); st.State != StateFailed || st.Finished.IsZero() {
		t.Errorf("after fail: state %s, finished %v", st.State, st.Finished)
	}
	if err := run.transition(StateCompleted); err == nil {
		t.Error("failed → completed was allowed")
	}
}
