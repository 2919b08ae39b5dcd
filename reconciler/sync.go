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

// State is one step of a sync's state machine (SPEC §4).
type State string

// The states of a sync, in the order a successful one passes through them.
const (
	StatePending      State = "pending"
	StateInitializing State = "initializing"
	StateDiscovering  State = "discovering"
	StateProcessing   State = "processing"
	StateSyncing      State = "syncing"
	StateReconciling  State = "reconciling"
	StateRetrying     State = "retrying"
	StateCompleted    State = "completed"
	StateFailed       State = "failed"
)

// Terminal reports whether no transition can follow s.
func (s State) Terminal() bool { return s == StateCompleted || s == StateFailed }

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
	// open: it says nothing new of the target (see storeFabricState).
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
		State:       StatePending,
		Transitions: []Transition{{State: StatePending, At: t}},
		Started:     t,
	}}
}

// transition moves the sync to s; moving out of a terminal state is a bug
// reported as an error rather than a panic.
func (r *syncRun) transition(s State) error {
	r.mu.Lock()
	if r.st.State.Terminal() {
		r.mu.Unlock()
		return fmt.Errorf("sync %s: transition %s → %s after it ended", r.st.ID, r.st.State, s)
	}
	if r.st.State == s {
		r.mu.Unlock()
		return nil
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
