package reconciler

import (
	"context"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// A sync is a list of steps with one signature, run in order until one
// fails; the fabric's sync (fabric.sync) records the outcome in one
// deferred block, whatever step ended it. A dir fabric's list is dirSteps;
// a git fabric's is gitSteps, whose first step runs gitAttemptSteps inside
// the remote's circuit breaker and the repository's lock, with retries.
type step func(ctx context.Context, s *syncCtx) error

// syncCtx is one sync in flight, as its steps share it.
type syncCtx struct {
	r   *Reconciler
	f   *fabric
	run *syncRun
	// root is the FGD's directory: the fabric's, or its path in the git
	// working tree.
	root string
	// rep is what the ingestion step did.
	rep *ingest.Report
	// w is a git fabric's working tree, valid inside its attempt only;
	// commit is the revision the attempt committed ("" when none), and
	// rejected is set when the remote refused its push.
	w        Worktree
	commit   string
	rejected bool
}

// dirSteps is a sync of a fabric whose FGD is a local directory.
var dirSteps = []step{initializeDir, ingestFGD, loadDesired, reconcile}

// gitSteps is a sync of a git fabric: its git attempts, then the sinks.
var gitSteps = []step{gitAttempts, reconcile}

// gitAttemptSteps is one attempt of a git fabric, on the remote's head.
var gitAttemptSteps = []step{updateWorktree, ingestFGD, loadDesired, commitFGD, pushFGD}

// steps is the fabric's list of steps.
func (f *fabric) steps() []step {
	switch {
	case f.spec.Git != nil:
		return gitSteps
	case f.spec.Root != "":
		return dirSteps
	}
	return []step{noSource}
}

// runSteps runs steps in order and returns the first failure.
func runSteps(ctx context.Context, s *syncCtx, steps []step) error {
	for _, st := range steps {
		if err := st(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// move enters state t; a move the state machine refuses stalls the sync
// (stateBug).
func (s *syncCtx) move(t state.SyncState) error {
	if err := s.run.transition(t); err != nil {
		return stateBug(err)
	}
	return nil
}

// initializeDir checks that a dir fabric's FGD can be used at all.
func initializeDir(_ context.Context, s *syncCtx) error {
	if err := s.move(state.SyncInitializing); err != nil {
		return err
	}
	s.root = s.f.spec.Root
	return checkRoot(s.root)
}

// reconcile applies the desired set to the fabric's sinks.
func reconcile(ctx context.Context, s *syncCtx) error {
	return s.r.reconcileStage(ctx, s.f, s.run)
}

// noSource fails the sync of a fabric built without any source.
func noSource(context.Context, *syncCtx) error {
	return resilience.Stalled(errNoSource, "give the fabric a source in the config")
}
