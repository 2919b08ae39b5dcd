package reconciler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// The git port's types live in the contract; these names keep the
// reconciler's own code short.
type (
	Repository = contract.Repository
	Worktree   = contract.Worktree
	GitSpec    = contract.GitSpec
)

// maxPushAttempts bounds the fetch → re-ingest → push loop of one sync when
// others keep pushing; past it the sync waits for the next trigger.
const maxPushAttempts = 5

// gitAttempts is the git part of a git fabric's sync: update the working
// tree to the remote head, ingest, and when the FGD changed commit and push
// exactly one commit (gitAttemptSteps). A push rejected because the remote
// moved fetches the new head and runs again on it (ingestion is
// deterministic, so no merge is needed). Transient failures are retried
// with backoff; every attempt goes through the remote's circuit breaker.
func gitAttempts(ctx context.Context, s *syncCtx) error {
	r, f, g := s.r, s.f, s.f.spec.Git
	attempt := func(ctx context.Context) error {
		return r.breakers.Do(remoteTarget(g.Repo.Remote()), func() error {
			// A full local disk is classified here, inside the breaker:
			// it is no failure of the remote.
			return diskFull(f, g.Repo.Do(ctx, func(ctx context.Context, w Worktree) error {
				s.w = w
				defer func() { s.w = nil }()
				return pushLoop(ctx, s)
			}))
		})
	}
	return resilience.Retry(ctx, r.opts.Backoff, attempt, func(n int, delay time.Duration, err error) {
		f.log.Warn("sync attempt failed, retrying", "attempt", n, "retry_in", delay.Round(time.Millisecond).String(), "err", err)
		// A refused move is kept by the run (moveErr) and fails the sync.
		_ = s.run.transition(state.SyncRetrying)
	})
}

// pushLoop runs gitAttemptSteps until the remote takes the push, or there
// is nothing to push, at most maxPushAttempts times.
func pushLoop(ctx context.Context, s *syncCtx) error {
	remote := s.f.spec.Git.Repo.Remote()
	for push := 1; ; push++ {
		s.commit, s.rejected = "", false
		if err := runSteps(ctx, s, gitAttemptSteps); err != nil || !s.rejected {
			return err
		}
		if push >= maxPushAttempts {
			return resilience.Waiting(fmt.Errorf("push to %s rejected %d times: the branch keeps moving", remote, push), time.Minute)
		}
		s.f.log.Info("push rejected: the remote moved; re-running on its new head", "attempt", push)
		if err := s.move(state.SyncRetrying); err != nil {
			return err
		}
	}
}

// updateWorktree brings the working tree to the remote head, verified when
// the source verifies signatures, and finds the FGD in it.
func updateWorktree(ctx context.Context, s *syncCtx) error {
	f, g, w := s.f, s.f.spec.Git, s.w
	if err := s.move(state.SyncInitializing); err != nil {
		return err
	}
	rev, err := w.Update(ctx)
	s.r.verificationEvent(f, rev, w, err)
	if err != nil {
		return err
	}
	s.run.setRevision(rev)
	s.run.setSigner(w.Signer())
	root, err := w.Path(g.Path)
	if err != nil {
		return resilience.Stalled(err, "fix the fabric's source.git.path in the config")
	}
	// A path the branch does not have yet is a new fabric: its FGD is
	// created (and committed with its first sync).
	if err := os.MkdirAll(root, 0o755); err != nil {
		return localFailure(f, fmt.Errorf("create the FGD %s in the working tree: %w", g.Path, err))
	}
	s.root = root
	return nil
}

// commitFGD records what the ingestion changed as one commit, when the
// fabric pushes.
func commitFGD(ctx context.Context, s *syncCtx) error {
	g := s.f.spec.Git
	if !s.rep.Changed || !g.Push {
		return nil
	}
	if err := s.move(state.SyncSyncing); err != nil {
		return err
	}
	rev, committed, err := s.w.Commit(ctx, g.Path, commitMessage(s.f.spec.Name, s.rep))
	if err != nil {
		// Committing is local to the working tree.
		return localFailure(s.f, fmt.Errorf("commit: %w", err))
	}
	if committed {
		s.commit = rev
	}
	return nil
}

// pushFGD publishes the attempt's commit, never forcing; a push the remote
// rejected because it moved sets s.rejected for pushLoop.
func pushFGD(ctx context.Context, s *syncCtx) error {
	g := s.f.spec.Git
	if s.commit == "" {
		return nil
	}
	rejected, err := s.w.Push(ctx)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if rejected {
		s.rejected = true
		return nil
	}
	s.run.setRevision(s.commit)
	s.run.setSigner(s.w.Signer())
	s.run.setCommit(s.commit)
	if g.Pushed != nil {
		g.Pushed(s.commit)
	}
	s.f.log.Info("pushed", "revision", s.commit, "remote", g.Repo.Remote())
	return nil
}

// verificationFailure is implemented by a source's error for a revision
// whose signature verification failed.
type verificationFailure interface {
	error
	VerificationFailure() (commit, signer string)
}

// verificationEvent records a revision's signature verification as an
// event: each failure, and a pass when the verified revision is new, so a
// fabric that polls an unchanged branch adds no events.
func (r *Reconciler) verificationEvent(f *fabric, rev string, w Worktree, err error) {
	if vf, ok := errors.AsType[verificationFailure](err); ok {
		commit, signer := vf.VerificationFailure()
		f.setVerified("")
		r.event(f.spec.Name, state.EventVerificationFailed, map[string]any{"commit": commit, "signer": signer, "error": err.Error()})
		return
	}
	if err != nil {
		return
	}
	if signer := w.Signer(); signer != "" && f.setVerified(rev) {
		r.event(f.spec.Name, state.EventVerificationPassed, map[string]any{"revision": rev, "signer": signer})
	}
}

// commitMessage says what the sync did, e.g.
// "fgd: ingest 3 files (12 resources) into managed/, 1 file to unmanaged/".
func commitMessage(fabric string, rep *ingest.Report) string {
	resources := rep.Created + rep.Updated
	var parts []string
	if n := rep.Ingested + rep.Partial; n > 0 {
		parts = append(parts, fmt.Sprintf("ingest %s (%s) into managed/", plural(n, "file"), plural(resources, "resource")))
	}
	if n := rep.Unmanaged; n > 0 {
		parts = append(parts, plural(n, "file")+" to unmanaged/")
	}
	if n := rep.Empty; n > 0 {
		parts = append(parts, "archive "+plural(n, "empty file"))
	}
	if len(parts) == 0 {
		parts = append(parts, "repair the FGD layout")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fgd: %s\n\nFabric: %s\n", strings.Join(parts, ", "), fabric)
	const maxLines = 50
	for i, fr := range rep.Files {
		if i == maxLines {
			fmt.Fprintf(&b, "… and %d more files\n", len(rep.Files)-maxLines)
			break
		}
		fmt.Fprintf(&b, "\n%s: %s", fr.Path, fr.Outcome)
	}
	if len(rep.Files) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// errNoSource is the failure of a fabric built without any source.
var errNoSource = errors.New("the fabric has no source")
