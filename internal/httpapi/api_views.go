package httpapi

import (
	"maps"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
)

// The JSON bodies of the API. They are exported so that fgd's own clients
// (fgd status, fgd sync) decode exactly what the server encodes.

// FabricList is the body of GET /api/v1/fabrics.
type FabricList struct {
	// Index is the store's index of this answer: pass it as ?wait= to
	// block until something newer.
	Index   uint64       `json:"index"`
	Fabrics []FabricView `json:"fabrics"`
}

// FabricView is one fabric: GET /api/v1/fabrics/{name}, and each item of
// the list.
type FabricView struct {
	Name     string            `json:"name"`
	State    state.FabricState `json:"state"`
	Revision string            `json:"revision"`
	// Signer names who signed Revision, when the fabric's git source
	// verifies commit signatures (source.git.verify).
	Signer    string `json:"signer,omitempty"`
	Suspended bool   `json:"suspended"`
	// LastSyncID names the latest sync (GET /api/v1/syncs/{id}).
	LastSyncID string `json:"last_sync_id,omitempty"`
	// LastSuccess is when the latest successful sync finished; absent
	// before the first.
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	// Remediation tells the operator how to fix LastError.
	Remediation string `json:"remediation,omitempty"`
	// ErrorClass is LastError's class: "transient" (fgd retries by
	// itself), "waiting" (it retries after a delay) or "stalled" (it waits
	// for a human).
	ErrorClass string `json:"error_class,omitempty"`
	// Resources counts the desired resources per kind.
	Resources map[string]int `json:"resources"`
	// Circuits are the states of the fabric's circuit breakers by name
	// (remote and sinks); absent until the store records them.
	Circuits map[string]string `json:"circuits,omitempty"`
	// Unmanaged counts the files in the FGD's unmanaged/ folder;
	// UnmanagedFiles lists the first of them by path (at most 200), each
	// with the reasons fgd did not ingest it.
	Unmanaged      int                 `json:"unmanaged"`
	UnmanagedFiles []UnmanagedFileView `json:"unmanaged_files"`
	// ModifyIndex is the index of the write that last changed the fabric.
	ModifyIndex uint64 `json:"modify_index"`
}

// UnmanagedFileView is one file in a fabric's unmanaged/ folder.
type UnmanagedFileView struct {
	// Path is relative to the FGD ("unmanaged/gateway.yaml").
	Path    string   `json:"path"`
	Reasons []string `json:"reasons"`
}

// ResourceList is the body of GET /api/v1/fabrics/{name}/resources.
type ResourceList struct {
	Index     uint64         `json:"index"`
	Fabric    string         `json:"fabric"`
	Revision  string         `json:"revision"`
	Resources []ResourceView `json:"resources"`
}

// ResourceView is one desired resource, without its body.
type ResourceView struct {
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Path is the managed file, relative to the FGD.
	Path string `json:"path"`
	// Hash is the hex sha256 of the normalized bytes.
	Hash string `json:"hash"`
	// Sinks is the resource's last outcome at each sink that reports per
	// object (the kubernetes sink).
	Sinks []ResourceOutcomeView `json:"sinks,omitempty"`
}

// ResourceOutcomeView is a resource's last outcome at one sink: applied,
// unchanged, drift, conflict or rejected, with the API server's message.
type ResourceOutcomeView struct {
	Sink    string    `json:"sink"`
	Outcome string    `json:"outcome"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// SyncAccepted is the body of a 202 answer to POST .../sync.
type SyncAccepted struct {
	SyncID    string `json:"sync_id"`
	StatusURL string `json:"status_url"`
}

// SyncView is the body of GET /api/v1/syncs/{id}.
type SyncView struct {
	ID      string `json:"id"`
	Fabric  string `json:"fabric"`
	Trigger string `json:"trigger"`
	// State is the current state: pending, initializing, discovering,
	// processing, syncing, reconciling, retrying, completed or failed.
	State state.SyncState `json:"state"`
	// Done is set once the sync is completed or failed.
	Done     bool       `json:"done"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// Seconds is the sync's duration, so far while it runs.
	Seconds float64 `json:"seconds"`
	// Transitions lists every state the sync entered, in order.
	Transitions []TransitionView `json:"transitions"`
	Error       string           `json:"error,omitempty"`
	Remediation string           `json:"remediation,omitempty"`
	Diff        DiffView         `json:"diff"`
	Sinks       []SinkView       `json:"sinks"`
	// Changes are the resources the sync changed in the desired set (the
	// first 50 with their YAML diffs); empty when it changed none, or when
	// it was the daemon's first read of the set.
	Changes []ChangeView `json:"changes"`
	// Index is the index of the write that last changed the sync: pass it
	// as &index= with ?wait=1 to block until the next change.
	Index uint64 `json:"index"`
}

// TransitionView is one state a sync entered.
type TransitionView struct {
	State state.SyncState `json:"state"`
	At    time.Time       `json:"at"`
	// Seconds is the time spent in the state; absent for the state the
	// sync is in.
	Seconds *float64 `json:"seconds,omitempty"`
}

// ChangeView is one resource a sync changed: Diff holds the YAML diff
// around the change, one line each, prefixed '+', '-' or ' '.
type ChangeView struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Path      string `json:"path"`
	Action    string `json:"action"`
	Diff      string `json:"diff,omitempty"`
}

// DiffView counts a sync's changes.
type DiffView struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
}

// SinkView is what one sink did in a sync.
type SinkView struct {
	Name     string `json:"name"`
	Status   string `json:"status,omitempty"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
	Output   string `json:"output,omitempty"`
	// Conflicts, Rejected and Problems: the objects a kubernetes sink
	// could not apply, each with the API server's message.
	Conflicts int           `json:"conflicts,omitempty"`
	Rejected  int           `json:"rejected,omitempty"`
	Problems  []ProblemView `json:"problems,omitempty"`
}

// ProblemView is one object a sink could not apply.
type ProblemView struct {
	Key     string `json:"key"`
	Outcome string `json:"outcome"`
	Message string `json:"message"`
}

// EventView is the data of one server-sent event.
type EventView struct {
	Index  uint64         `json:"index"`
	Type   string         `json:"type"`
	Fabric string         `json:"fabric,omitempty"`
	Time   time.Time      `json:"time"`
	Data   map[string]any `json:"data,omitempty"`
}

// fabricView turns a store fabric and its resource counts into its JSON.
// Free text passes audit.RedactText: the reconciler redacts what it
// stores, and this is the second line.
func fabricView(f *state.Fabric, kinds map[string]int) FabricView {
	v := FabricView{
		Name:        f.Name,
		State:       f.State,
		Revision:    f.Revision,
		Signer:      audit.RedactText(f.Signer),
		Suspended:   f.Suspended,
		LastSyncID:  f.LastSyncID,
		LastError:   audit.RedactText(f.LastError),
		Remediation: audit.RedactText(f.Remediation),
		ErrorClass:  f.ErrorClass,
		Resources:   kinds,
		ModifyIndex: f.ModifyIndex,
	}
	if len(f.Circuits) > 0 {
		v.Circuits = maps.Clone(f.Circuits)
	}
	v.Unmanaged = f.UnmanagedCount
	v.UnmanagedFiles = make([]UnmanagedFileView, len(f.Unmanaged)) // [] in the JSON, not null
	for i, u := range f.Unmanaged {
		reasons := make([]string, len(u.Reasons))
		for j, r := range u.Reasons {
			reasons[j] = audit.RedactText(r)
		}
		v.UnmanagedFiles[i] = UnmanagedFileView{Path: u.Path, Reasons: reasons}
	}
	if v.Resources == nil {
		v.Resources = map[string]int{} // {} in the JSON, not null
	}
	if !f.LastSuccess.IsZero() {
		t := f.LastSuccess
		v.LastSuccess = &t
	}
	return v
}

// resourceView turns a desired resource into its JSON, without the body.
func resourceView(r *state.Resource) ResourceView {
	return ResourceView{Key: r.Key, Kind: r.Kind, Name: r.Name, Namespace: r.Namespace, Path: r.Path, Hash: r.Hash}
}

// syncView turns a store sync into its JSON; now dates a running sync.
func syncView(s *state.Sync, now time.Time) SyncView {
	v := SyncView{
		ID:          s.ID,
		Fabric:      s.Fabric,
		Trigger:     audit.RedactText(s.Trigger),
		State:       s.State,
		Done:        s.Done(),
		Started:     s.Started,
		Error:       audit.RedactText(s.Error),
		Remediation: audit.RedactText(s.Remediation),
		Diff:        DiffView{Create: s.Diff.Create, Update: s.Diff.Update, Delete: s.Diff.Delete, Unchanged: s.Diff.Unchanged},
		Transitions: make([]TransitionView, len(s.Transitions)),
		Sinks:       make([]SinkView, len(s.Sinks)),
		Changes:     make([]ChangeView, len(s.Changes)),
		Index:       s.ModifyIndex,
	}
	for i, c := range s.Changes {
		v.Changes[i] = ChangeView{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Path: c.Path, Action: c.Action, Diff: c.Diff}
	}
	end := now
	if !s.Finished.IsZero() {
		t := s.Finished
		v.Finished, end = &t, t
	}
	if !s.Started.IsZero() {
		v.Seconds = end.Sub(s.Started).Seconds()
	}
	for i, t := range s.Transitions {
		v.Transitions[i] = TransitionView{State: t.State, At: t.At}
		if i+1 < len(s.Transitions) {
			d := s.Transitions[i+1].At.Sub(t.At).Seconds()
			v.Transitions[i].Seconds = &d
		}
	}
	for i, r := range s.Sinks {
		v.Sinks[i] = SinkView{Name: r.Name, Status: r.Status, Attempts: r.Attempts,
			Error: audit.RedactText(r.Error), Output: audit.RedactText(r.Output), Conflicts: r.Conflicts, Rejected: r.Rejected}
		for _, p := range r.Problems {
			v.Sinks[i].Problems = append(v.Sinks[i].Problems, ProblemView{Key: p.Key, Outcome: p.Outcome, Message: audit.RedactText(p.Message)})
		}
	}
	return v
}

// eventView turns a store event into the data of its server-sent event.
func eventView(e *state.Event) EventView {
	return EventView{Index: e.Index, Type: e.Type, Fabric: e.Fabric, Time: e.Time, Data: audit.Redact(e.Data)}
}
