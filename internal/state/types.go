package state

import (
	"maps"
	"slices"
	"time"
)

// Fabric is one configured fabric and the outcome of its latest sync: the
// one record of its state, which readiness, the API and the status page
// read alike.
type Fabric struct {
	Name string
	// State is idle, syncing, failed or suspended.
	State    FabricState
	Revision string
	// Signer names who signed Revision, when the fabric's source verifies
	// commit signatures.
	Signer      string
	Suspended   bool
	LastSyncID  string
	LastSuccess time.Time
	LastError   string
	// Remediation tells the operator how to fix LastError.
	Remediation string
	// ErrorClass is LastError's class: "transient", "waiting" or "stalled"
	// (what fgd does next, SPEC §4).
	ErrorClass string
	// Circuits maps each circuit-breaker target of the fabric (its git
	// remote, its sinks) to its state: "closed", "half-open" or "open".
	Circuits map[string]string
	// UnmanagedCount is how many files the FGD's unmanaged/ folder holds
	// (sidecars and .gitkeep aside); Unmanaged lists the first of them, by
	// path, at most MaxUnmanagedListed.
	UnmanagedCount int
	Unmanaged      []UnmanagedFile
	// Attempted is set once the fabric's first sync has ended, well or not
	// (readiness waits for it); Syncs counts the syncs ended since the
	// fabric started.
	Attempted bool
	Syncs     int
	// CurrentSyncID names the sync running now ("" between syncs) and
	// FinishedSyncID the latest that ended; LastSyncID is the latest of the
	// two.
	CurrentSyncID  string
	FinishedSyncID string
	// SourceError is the fabric's source failing to reach its input (a git
	// remote down or refusing the credentials); nil while it works.
	SourceError *Failure
	// DesiredRevision is the revision the fabric's desired set (the
	// resources table) was read at, once DesiredLoaded; UnmanagedRevision
	// the one its unmanaged files were listed at, once UnmanagedLoaded.
	DesiredLoaded     bool
	DesiredRevision   string
	UnmanagedLoaded   bool
	UnmanagedRevision string
	// ModifyIndex is set by the store: the index of the write that last
	// changed this fabric.
	ModifyIndex uint64
}

// Failure is an error as an operator sees it: what failed, its class
// ("transient", "waiting" or "stalled": what fgd does next) and the fix.
type Failure struct {
	Error, Class, Remediation string
}

// MaxUnmanagedListed bounds Fabric.Unmanaged.
const MaxUnmanagedListed = 200

// UnmanagedFile is one file in an FGD's unmanaged/ folder.
type UnmanagedFile struct {
	// Path is relative to the FGD ("unmanaged/gateway.yaml").
	Path string
	// Reasons say why fgd did not ingest it, from its .metadata sidecar;
	// empty when the sidecar is missing or unreadable.
	Reasons []string
}

// Copy returns a deep copy of the fabric, safe to change.
func (f *Fabric) Copy() *Fabric {
	c := *f
	c.Circuits = maps.Clone(f.Circuits)
	if f.SourceError != nil {
		e := *f.SourceError
		c.SourceError = &e
	}
	if f.Unmanaged != nil {
		c.Unmanaged = make([]UnmanagedFile, len(f.Unmanaged))
		for i, u := range f.Unmanaged {
			c.Unmanaged[i] = UnmanagedFile{Path: u.Path, Reasons: slices.Clone(u.Reasons)}
		}
	}
	return &c
}

// Resource is one desired resource of a fabric, at one revision.
type Resource struct {
	Fabric   string
	Revision string
	// Key is the resource's identity, "group/Kind/namespace/name".
	Key       string
	Kind      string
	Name      string
	Namespace string
	// Path is the managed file, relative to the FGD
	// ("managed/vpcs/vpc-1.yaml").
	Path string
	// Hash is the hex sha256 of Body, the normalized bytes.
	Hash string
	Body []byte
}

// InventoryItem is one resource a sink holds, as last applied by fgd.
type InventoryItem struct {
	Fabric string
	// Sink names the sink within its fabric.
	Sink string
	Key  string
	// Hash is the hex sha256 of the bytes applied.
	Hash      string
	AppliedAt time.Time
	// Body is the manifest last applied, kept so a prune can hand it to
	// the sink's prune command; it may be nil when the sink needs none.
	Body []byte
}

// Transition is one step of a sync's state machine.
type Transition struct {
	State SyncState
	At    time.Time
}

// DiffSummary counts a sync's changes per resource.
type DiffSummary struct {
	Create, Update, Delete, Unchanged int
}

// SinkResult is what one sink did in a sync.
type SinkResult struct {
	Name     string
	Attempts int
	// Applied, Deleted and Drift count the resources the sink applied,
	// pruned, and found changed by someone else.
	Applied, Deleted, Drift int
	Error                   string
	// Output is the sink's (bounded) output, secrets redacted.
	Output string
	Status string
	// Conflicts and Rejected count the objects a per-object sink (the
	// kubernetes sink) could not apply; Problems names them.
	Conflicts, Rejected int
	Problems            []ObjectProblem
}

// ObjectOutcome is the last outcome of one resource at one sink that
// reports per object (the kubernetes sink): applied, unchanged, deleted,
// drift, conflict or rejected, with the target's message.
type ObjectOutcome struct {
	Fabric, Sink, Key string
	Outcome, Message  string
	At                time.Time
}

// ObjectProblem is one resource a sink could not apply, with the target's
// message (the API server's, naming the other field manager of a conflict).
type ObjectProblem struct {
	Key, Outcome, Message string
}

// Sync is one sync of one fabric, with every state it went through.
type Sync struct {
	ID      string
	Fabric  string
	Trigger string
	// Triggers say why the sync ran; Trigger joins their kinds.
	Triggers    []Trigger
	State       SyncState
	Transitions []Transition
	Started     time.Time
	Finished    time.Time
	// Revision is the FGD's revision the sync worked on (a git commit);
	// Commit the one it pushed, if any; Signer who signed Revision, when
	// the source verifies signatures.
	Revision, Commit, Signer string
	Error                    string
	Remediation              string
	// ErrorClass is Error's class: "transient", "waiting" or "stalled".
	ErrorClass string
	// Refused is set when an open circuit breaker refused the sync: it
	// says nothing new of the target.
	Refused bool
	// Ingest counts what the sync's ingestion did.
	Ingest IngestSummary
	Diff   DiffSummary
	Sinks  []SinkResult
	// Changes are the resources the sync changed in the desired set, each
	// with its YAML diff (bounded: see MaxChanges).
	Changes []ResourceChange
	// ModifyIndex is set by the store: the index of the write that last
	// changed this sync.
	ModifyIndex uint64
}

// Trigger is one reason a sync ran: its kind ("poll", "fsnotify",
// "webhook", "api", …) and context, such as the file that changed.
type Trigger struct {
	Kind, Detail string
}

// IngestSummary counts what a sync's ingestion did.
type IngestSummary struct {
	Files, Created, Updated, Unchanged, Unmanaged int
	// Retired are the stale entries of unmanaged/ the sync archived.
	Retired                    []string
	Conflicts, Repairs, Errors int
	// Changed is set when the ingestion changed the FGD.
	Changed bool
}

// Done reports whether the sync has finished, well or not.
func (s *Sync) Done() bool { return s.State.Terminal() }

// Copy returns a deep copy of the sync, safe to change.
func (s *Sync) Copy() *Sync {
	c := *s
	c.Transitions = slices.Clone(s.Transitions)
	c.Triggers = slices.Clone(s.Triggers)
	c.Ingest.Retired = slices.Clone(s.Ingest.Retired)
	c.Sinks = slices.Clone(s.Sinks)
	c.Changes = slices.Clone(s.Changes)
	return &c
}

// Event types, as the event stream names them.
const (
	EventFabricCreated        = "fabric_created"
	EventDirectoryInitialized = "directory_initialized"
	EventFilesDiscovered      = "files_discovered"
	EventIngestionCompleted   = "ingestion_completed"
	EventSyncCompleted        = "sync_completed"
	EventSyncFailed           = "sync_failed"
	EventDriftDetected        = "drift_detected"
	EventCircuitOpened        = "circuit_opened"
	EventCircuitClosed        = "circuit_closed"
	EventVerificationFailed   = "verification_failed"
	EventVerificationPassed   = "verification_passed"
	EventSourceFailed         = "source_failed"
	EventSourceRecovered      = "source_recovered"
	// EventUnmanagedRetired: stale entries of unmanaged/ moved to
	// .hnp/archive/ after the files they came from were ingested again.
	EventUnmanagedRetired = "unmanaged_retired"
)

// Event is one thing worth telling the event stream.
type Event struct {
	// Index is assigned by AddEvent: 1, 2, 3, …, so a client can resume
	// after the last one it saw and notice a gap.
	Index  uint64
	Fabric string
	// Type is one of the Event* constants.
	Type string
	Time time.Time
	Data map[string]any
}

// Copy returns a copy of the event with its own Data map (the values in it
// are shared).
func (e *Event) Copy() *Event {
	c := *e
	c.Data = maps.Clone(e.Data)
	return &c
}

// Diff is a fabric's desired set against one sink's inventory, per
// resource by content hash. Every list is sorted by key.
type Diff struct {
	// Create holds the desired resources the sink does not hold.
	Create []*Resource
	// Update holds the desired resources the sink holds with other bytes.
	Update []*Resource
	// Delete holds what the sink holds that is no longer desired.
	Delete []*InventoryItem
	// Unchanged counts the desired resources the sink holds as they are.
	Unchanged int
}

// Summary counts the diff's changes.
func (d Diff) Summary() DiffSummary {
	return DiffSummary{Create: len(d.Create), Update: len(d.Update), Delete: len(d.Delete), Unchanged: d.Unchanged}
}

// Empty reports whether the sink already holds exactly the desired set.
func (d Diff) Empty() bool { return len(d.Create)+len(d.Update)+len(d.Delete) == 0 }

// MaxChanges bounds the resources a sync record keeps diffs of; the
// counts in DiffSummary stay whole.
const MaxChanges = 50

// ResourceChange is one resource a sync created, updated or deleted in
// the desired set.
type ResourceChange struct {
	Kind, Namespace, Name, Path string
	// Action is create, update or delete.
	Action string
	// Diff is the YAML diff around the changes, one line each, starting
	// with '+', '-' or ' ' ("  …" marks unchanged lines left out).
	Diff string
}
