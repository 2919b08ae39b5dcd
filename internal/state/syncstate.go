package state

// SyncState is one state of a sync's state machine (SPEC §4).
type SyncState string

// The states of a sync, in the order a successful one passes through them;
// SyncRetrying comes between attempts.
const (
	SyncPending      SyncState = "pending"
	SyncInitializing SyncState = "initializing"
	SyncDiscovering  SyncState = "discovering"
	SyncProcessing   SyncState = "processing"
	SyncSyncing      SyncState = "syncing"
	SyncReconciling  SyncState = "reconciling"
	SyncRetrying     SyncState = "retrying"
	SyncCompleted    SyncState = "completed"
	SyncFailed       SyncState = "failed"
)

// allowed is the state machine: the states each state may move to. Any
// state that has not ended may fail; only an attempt that has not reached
// the sinks is retried (a push the remote rejected, a transient failure of
// the remote), and a retry starts again from initializing. Ingestion always
// discovers before it processes; syncing (commit and push) is a git
// fabric's, and a fabric without sinks completes without reconciling.
var allowed = map[SyncState][]SyncState{
	SyncPending:      {SyncInitializing, SyncRetrying, SyncFailed},
	SyncInitializing: {SyncDiscovering, SyncRetrying, SyncFailed},
	SyncDiscovering:  {SyncProcessing, SyncRetrying, SyncFailed},
	SyncProcessing:   {SyncSyncing, SyncReconciling, SyncRetrying, SyncCompleted, SyncFailed},
	SyncSyncing:      {SyncReconciling, SyncRetrying, SyncCompleted, SyncFailed},
	SyncReconciling:  {SyncCompleted, SyncFailed},
	SyncRetrying:     {SyncInitializing, SyncFailed},
	SyncCompleted:    nil,
	SyncFailed:       nil,
}

// syncStates lists every state, in the order of SPEC §4.
func syncStates() []SyncState {
	return []SyncState{SyncPending, SyncInitializing, SyncDiscovering, SyncProcessing, SyncSyncing,
		SyncReconciling, SyncRetrying, SyncCompleted, SyncFailed}
}

// CanBecome reports whether the state machine lets a sync in state s move
// to state t. Staying in a state is no move, and is not in the table.
func (s SyncState) CanBecome(t SyncState) bool {
	for _, n := range allowed[s] {
		if n == t {
			return true
		}
	}
	return false
}

// Terminal reports whether the sync has ended: no state can follow s.
func (s SyncState) Terminal() bool { return s == SyncCompleted || s == SyncFailed }

// FabricState is a fabric's state, as the API and `fgd status` show it.
type FabricState string

// Fabric states.
const (
	FabricIdle      FabricState = "idle"
	FabricSyncing   FabricState = "syncing"
	FabricFailed    FabricState = "failed"
	FabricSuspended FabricState = "suspended"
)
