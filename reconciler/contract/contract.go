// Package contract is the seam between the reconciler and its plugins: the
// Source that tells a fabric when to sync, the Sink that receives its
// desired set, and the plain values that cross between them. It imports
// only the standard library, so a plugin depends on the contract and never
// on the reconciler's store.
package contract

import "context"

// Source watches a fabric's input and calls the trigger it was built with
// whenever work may be waiting, and once (TriggerStartup) as soon as it
// watches, work or not: that trigger is the fabric's first sync, which sees
// everything present at start. Run returns when ctx is done.
type Source interface {
	Run(ctx context.Context) error
}

// TriggerKind says what asked for a sync.
type TriggerKind string

// The kinds of trigger fgd produces.
const (
	// TriggerStartup is a source's first trigger, once it watches.
	TriggerStartup TriggerKind = "startup"
	// TriggerFsnotify is a dir source whose file events showed new work.
	TriggerFsnotify TriggerKind = "fsnotify"
	// TriggerOverflow is a dir source whose kernel dropped events, when the
	// rescan that followed found work.
	TriggerOverflow TriggerKind = "overflow"
	// TriggerRescan is a dir source's periodic full rescan that found work.
	TriggerRescan TriggerKind = "rescan"
	// TriggerRootUnavailable is a dir source whose FGD directory vanished
	// or cannot be read: the sync records the failure.
	TriggerRootUnavailable TriggerKind = "root-unavailable"
	// TriggerRootRestored is a dir source whose FGD directory is watched
	// again.
	TriggerRootRestored TriggerKind = "root-restored"
	// TriggerPoll is a git source that saw (or was told, by a webhook, to
	// look for) a new head, or a source that works again.
	TriggerPoll TriggerKind = "poll"
	// TriggerSettle follows a sync that deferred files a writer was still
	// changing.
	TriggerSettle TriggerKind = "settle"
	// TriggerRetry follows failed syncs, after their backoff.
	TriggerRetry TriggerKind = "retry"
	// TriggerResume is a suspended fabric resumed by the operator.
	TriggerResume TriggerKind = "resume"
	// TriggerAPI is an operator's sync request (fgd sync, the HTTP API).
	TriggerAPI TriggerKind = "api"
	// TriggerWatch is a sink that saw its target changed by someone else.
	TriggerWatch TriggerKind = "watch"
)

// Trigger says why a sync was asked for.
type Trigger struct {
	Kind TriggerKind `json:"kind"`
	// Detail adds context, e.g. the file that changed or the caller's address.
	Detail string `json:"detail,omitempty"`
}

// Sink is one place a fabric's desired set is applied (SPEC §5). The
// reconciler computes what changed since the sink last applied, guards
// prunes, retries, and keeps the sink's inventory; the sink only applies.
type Sink interface {
	Apply(ctx context.Context, req Request) (Outcome, error)
}
