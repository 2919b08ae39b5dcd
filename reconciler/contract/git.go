package contract

import "context"

// Repository is the working tree of a git remote and branch, shared by every
// fabric whose FGD lives in it; Do serializes them, so concurrent fabrics of
// one repository never race each other's pushes.
type Repository interface {
	Do(ctx context.Context, fn func(ctx context.Context, w Worktree) error) error
	// Remote names the repository (no credentials) for logs and breakers.
	Remote() string
}

// Worktree is a Repository's working tree, valid inside Do only.
type Worktree interface {
	// Update brings the tree to the remote branch's head (local edits never
	// survive) and returns that revision.
	Update(ctx context.Context) (rev string, err error)
	// Signer names who signed the revision of the last Update or Commit
	// when the source verifies signatures, and is empty otherwise.
	Signer() string
	// Path is the absolute path of sub (the FGD's path in the repository).
	Path(sub string) (string, error)
	// Commit records every change under sub; committed is false when there
	// was nothing to record.
	Commit(ctx context.Context, sub, message string) (rev string, committed bool, err error)
	// Push publishes the branch, never forcing; rejected is true when the
	// remote moved meanwhile (non-fast-forward).
	Push(ctx context.Context) (rejected bool, err error)
}

// GitSpec is the git side of a fabric: its FGD's path in a Repository.
type GitSpec struct {
	Repo Repository
	// Path is the FGD's path inside the repository ("." for its root).
	Path string
	// Push false ingests into the local working tree only.
	Push bool
	// Pushed is told each revision fgd pushed, so the poller does not take
	// fgd's own commits for news.
	Pushed func(rev string)
}

// NewSource builds a fabric's input watcher: the source calls trigger when
// work may be waiting, and report with each failure to reach its input and
// with nil once it works again. Both sources (dir and git) offer one.
type NewSource func(trigger func(Trigger), report func(error)) (Source, error)
