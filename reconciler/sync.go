package reconciler

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// State is one state of a sync's state machine (SPEC §4); the states and
// the moves allowed between them are the state package's.
type State = state.SyncState

// The two ends of a sync, for the callers that look at its outcome.
const (
	StateCompleted = state.SyncCompleted
	StateFailed    = state.SyncFailed
)

// Trigger is contract.Trigger, kept under this name for its many callers.
type Trigger = contract.Trigger

// Transition records when a sync entered a state.
type Transition struct {
	State State     `json:"state"`
	At    time.Time `json:"at"`
}

// SyncStatus is a snapshot of one sync, safe to hand to other goroutines.
type SyncStatus struct {
	ID          string        `json:"id"`
	Fabric      string        `json:"fabric"`
	Triggers    []Trigger     `json:"triggers"`
	State       State         `json:"state"`
	Transitions []Transition  `json:"transitions"`
	Started     time.Time     `json:"started"`
	Finished    time.Time     `json:"finished,omitzero"`
	Duration    time.Duration `json:"duration_ns,omitempty"`
	Revision    string        `json:"revision,omitempty"`
	Commit      string        `json:"commit,omitempty"`
	// Signer names who signed Revision, when the source verifies signatures.
	Signer      string       `json:"signer,omitempty"`
	ErrorClass  string       `json:"error_class,omitempty"`
	Error       string       `json:"error,omitempty"`
	Remediation string       `json:"remediation,omitempty"`
	Summary     Summary      `json:"summary"`
	Sinks       []SinkStatus `json:"sinks,omitempty"`
	// Changes are the resources the sync changed in the desired set.
	Changes []state.ResourceChange `json:"changes,omitempty"`
	// refused is set when the sync failed because a circuit breaker is
	// open: it says nothing new of the target (see fabricState).
	refused bool
}

// Summary counts what a sync's ingestion did.
type Summary struct {
	Files     int `json:"files"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Unmanaged int `json:"unmanaged"`
	// Retired are the stale entries of unmanaged/ the sync archived.
	Retired   []string `json:"retired,omitempty"`
	Conflicts int      `json:"conflicts"`
	Repairs   int      `json:"repairs"`
	Errors    int      `json:"errors"`
	Changed   bool     `json:"changed"`
}

// syncRun is the mutable record of a sync in flight; status() snapshots it.
type syncRun struct {
	mu  sync.Mutex
	now func() time.Time
	st  SyncStatus
	// onChange, when set, is told every new state (outside the lock), so
	// the store and the event stream follow the sync live.
	onChange func(SyncStatus)
	// refusedMove is the first move the state machine refused, kept for
	// the callers that cannot return it (ingestion's progress callback):
	// the sync fails with it instead of completing.
	refusedMove error
}

func newSyncRun(id, fabric string, triggers []Trigger, now func() time.Time) *syncRun {
	t := now()
	if id == "" {
		id = newSyncID()
	}
	return &syncRun{now: now, st: SyncStatus{
		ID:          id,
		Fabric:      fabric,
		Triggers:    triggers,
		State:       state.SyncPending,
		Transitions: []Transition{{State: state.SyncPending, At: t}},
		Started:     t,
	}}
}

// transition moves the sync to s. A move the state machine does not allow
// (state.SyncState.CanBecome) is refused with an error, the state left as
// it is: it is a bug, which fails the sync rather than panicking. Staying
// in the state the sync is in is no move.
func (r *syncRun) transition(s State) error {
	r.mu.Lock()
	from := r.st.State
	if from == s {
		r.mu.Unlock()
		return nil
	}
	if !from.CanBecome(s) {
		err := fmt.Errorf("sync %s: the state machine does not allow %s → %s", r.st.ID, from, s)
		if r.refusedMove == nil {
			r.refusedMove = err
		}
		r.mu.Unlock()
		return err
	}
	t := r.now()
	r.st.State = s
	r.st.Transitions = append(r.st.Transitions, Transition{State: s, At: t})
	if s.Terminal() {
		r.st.Finished = t
		r.st.Duration = t.Sub(r.st.Started)
	}
	r.mu.Unlock()
	if r.onChange != nil {
		r.onChange(r.status())
	}
	return nil
}

// stateBug classifies a move the state machine refused: another attempt
// would be refused again, so it stalls the sync instead of being retried.
func stateBug(err error) error {
	return resilience.Stalled(err, "this is a bug in fgd: please report it; fgd sync starts a new sync")
}

// moveErr returns the first move the state machine refused, or nil.
func (r *syncRun) moveErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refusedMove
}

func (r *syncRun) fail(err error) {
	r.mu.Lock()
	e := describe(err)
	r.st.Error, r.st.Remediation, r.st.ErrorClass = e.Error, e.Remediation, e.Class
	r.st.refused = errors.Is(err, resilience.ErrOpen)
	r.mu.Unlock()
	_ = r.transition(StateFailed)
}

func (r *syncRun) setRevision(rev string) {
	r.mu.Lock()
	r.st.Revision = rev
	r.mu.Unlock()
}

func (r *syncRun) setSigner(signer string) {
	r.mu.Lock()
	r.st.Signer = signer
	r.mu.Unlock()
}

func (r *syncRun) setCommit(rev string) {
	r.mu.Lock()
	r.st.Commit = rev
	r.mu.Unlock()
}

func (r *syncRun) addSink(s SinkStatus) {
	r.mu.Lock()
	r.st.Sinks = append(r.st.Sinks, s)
	r.mu.Unlock()
	if r.onChange != nil {
		r.onChange(r.status())
	}
}

// setChanges records what the sync changed in the desired set.
func (r *syncRun) setChanges(c []state.ResourceChange) {
	r.mu.Lock()
	r.st.Changes = c
	r.mu.Unlock()
}

func (r *syncRun) setSummary(s Summary) {
	r.mu.Lock()
	r.st.Summary = s
	r.mu.Unlock()
}

// byOperator reports whether an operator asked for the sync (fgd sync, the
// API, a resume): it then re-reads what it would otherwise take as known.
func (r *syncRun) byOperator() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.st.Triggers {
		if t.Kind == "api" || t.Kind == "resume" {
			return true
		}
	}
	return false
}

func (r *syncRun) status() SyncStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Triggers = append([]Trigger(nil), r.st.Triggers...)
	st.Transitions = append([]Transition(nil), r.st.Transitions...)
	st.Sinks = append([]SinkStatus(nil), r.st.Sinks...)
	return st
}

func newSyncID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
