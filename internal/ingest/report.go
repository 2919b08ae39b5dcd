package ingest

import "github.com/fgdproject/fgd/internal/fgd"

// File outcomes (Report.Files[].Outcome and archive-log records).
const (
	OutcomeIngested  = "ingested"  // every document with content became a managed resource
	OutcomePartial   = "partial"   // some did; the rejected documents went to unmanaged/
	OutcomeUnmanaged = "unmanaged" // none did: the whole file went to unmanaged/
	OutcomeEmpty     = "empty"     // no document with content: archived, nothing else changed
	OutcomeError     = "error"     // could not be read or moved: left where it is
)

// Resource actions (Report.Resources[].Action).
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
)

// Report is what one run did (or, for a dry run, would do). Its JSON field
// names are part of the CLI's contract.
type Report struct {
	Fabric    string           `json:"fabric"`
	DryRun    bool             `json:"dry_run"`
	Files     []FileResult     `json:"files"`
	Resources []ResourceResult `json:"resources"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	// Ingested, Partial, Empty and Failed count files by outcome.
	Ingested int `json:"ingested"`
	Partial  int `json:"partial"`
	Empty    int `json:"empty"`
	Failed   int `json:"failed"`
	// Unmanaged counts the files routed to unmanaged/, whole (outcome
	// unmanaged) or in part (outcome partial).
	Unmanaged int `json:"unmanaged"`
	// Retired lists the stale entries of unmanaged/ the run moved to
	// .hnp/archive/, because the file they came from was ingested again.
	Retired   []Retired    `json:"retired"`
	Conflicts []Conflict   `json:"conflicts"`
	Errors    []ErrorItem  `json:"errors"`
	Repairs   []fgd.Repair `json:"repairs"`
	// Skipped lists things discovery saw and left alone on purpose.
	Skipped []Skipped `json:"skipped"`
	// Deferred files were left in place for the next run (see Options.Settle).
	Deferred []Skipped `json:"deferred"`
	// Changed is true when the run changed the FGD tree (would, for a dry run).
	Changed bool `json:"changed"`
	// LockWaitedMS is how long the run waited for another fgd's lock, and
	// LockWaitedFor that process's PID.
	LockWaitedMS  int64 `json:"lock_waited_ms"`
	LockWaitedFor int   `json:"lock_waited_for_pid,omitempty"`
}

// FileResult is the fate of one input file.
type FileResult struct {
	Path      string `json:"path"`
	Outcome   string `json:"outcome"`
	Documents int    `json:"documents"` // documents with content
	Resources int    `json:"resources"` // of which became managed resources
	// Reasons say why documents (or the file) were rejected, or why the file
	// was left in place.
	Reasons     []string `json:"reasons"`
	SHA256      string   `json:"sha256,omitempty"`
	UnmanagedAs string   `json:"unmanaged_as,omitempty"`
	ArchivedAs  string   `json:"archived_as,omitempty"`
}

// Identity names a resource in a Report.
type Identity struct {
	Group     string `json:"group"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// ResourceResult is one managed resource touched by the run: the one the
// run's last document of that identity produced.
type ResourceResult struct {
	Identity    Identity `json:"identity"`
	ManagedPath string   `json:"managed_path"`
	Action      string   `json:"action"`
	File        string   `json:"file"`
	Document    int      `json:"document"`
}

// Conflict kinds.
const (
	// ConflictIdentity: two different documents with one identity; the later
	// (file name order, then document order) wins.
	ConflictIdentity = "identity"
	// ConflictPath: two identities map to one managed file; the one already
	// there (or first in the batch) keeps it, the other goes to unmanaged/.
	ConflictPath = "path"
)

// Conflict is a collision between documents.
type Conflict struct {
	Kind        string        `json:"kind"`
	ManagedPath string        `json:"managed_path"`
	Identity    string        `json:"identity"`
	Documents   []DocumentRef `json:"documents"`
	Winner      DocumentRef   `json:"winner"`
	Message     string        `json:"message"`
}

// DocumentRef points at one document of one file (Document -1: a managed
// file already in the FGD).
type DocumentRef struct {
	File     string `json:"file"`
	Document int    `json:"document"`
}

// ErrorItem is one reason a document or file was rejected, or a per-file
// error that left a file in place (Document -1 means the whole file).
type ErrorItem struct {
	File     string `json:"file"`
	Document int    `json:"document"`
	Line     int    `json:"line"`
	Path     string `json:"path"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Code     string `json:"code,omitempty"`
}

// Skipped is something discovery left alone on purpose.
// Deferred files are left in place for a later run: written too recently
// (Options.Settle), held open for writing by a process, or changed while
// this run read them.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Code says why a file was deferred (one of the Defer constants); empty
	// for what discovery skipped.
	Code string `json:"code,omitempty"`
}

// Why a file was deferred (Skipped.Code of Report.Deferred).
const (
	// DeferSettling: written less than Options.Settle ago.
	DeferSettling = "settling"
	// DeferOpenForWriting: a process holds it open for writing; it is taken
	// once the writer closes it.
	DeferOpenForWriting = "open-for-writing"
	// DeferChanged: it changed after it was read; its outputs are from the
	// version read, and the newer content is ingested by the next run.
	DeferChanged = "changed"
)

// Failures reports whether some file could not be handled (it was left in
// place), which makes `fgd ingest` exit 1.
func (r *Report) Failures() bool { return r.Failed > 0 }
