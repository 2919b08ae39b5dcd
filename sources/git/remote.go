package git

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// RemoteHead asks the remote for the head of the branch: one ref
// advertisement (a single info/refs request over HTTP), no fetch, no local
// state. It is the cheap check that comes before any fetch.
func (r *Repo) RemoteHead(ctx context.Context) (plumbing.Hash, error) {
	c, err := r.credentials()
	if err != nil {
		r.o.Metrics.observe(r.remote, OpLsRemote, err)
		return plumbing.ZeroHash, r.wrap(OpLsRemote, err, c)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// A remote on a throwaway store: listing needs no clone and no lock.
	remote := gogit.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: remoteName, URLs: []string{r.gitURL}})
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{Auth: c.method, PeelingOption: gogit.IgnorePeeled})
	h := plumbing.ZeroHash
	if err == nil {
		err = errBranchNotFound{r.o.Branch}
		for _, ref := range refs {
			if ref.Name() == r.branchRef() && ref.Type() == plumbing.HashReference {
				h, err = ref.Hash(), nil
				break
			}
		}
	}
	err = timeoutError(ctx, err, c.timeout)
	r.o.Metrics.observe(r.remote, OpLsRemote, err)
	return h, r.wrap(OpLsRemote, err, c)
}

// fetch brings the branch's head into the clone (shallow, depth 1, this
// branch only) and returns it. Callers hold r.mu.
func (r *Repo) fetch(ctx context.Context) (plumbing.Hash, error) { return r.fetchDepth(ctx, 1) }

// fetchDepth is fetch with depth commits of history: a shallow clone is
// deepened to it. Callers hold r.mu.
func (r *Repo) fetchDepth(ctx context.Context, depth int) (plumbing.Hash, error) {
	created, err := r.ensureClone()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	op := OpFetch
	if created || r.ref(r.trackingRef()).IsZero() {
		op = OpClone
	}
	c, err := r.credentials()
	if err == nil {
		fctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = r.repo.FetchContext(fctx, &gogit.FetchOptions{
			RemoteName: remoteName,
			RefSpecs:   []gitconfig.RefSpec{r.fetchSpec()},
			Depth:      depth,
			Tags:       gogit.NoTags,
			Auth:       c.method,
		})
		err = timeoutError(fctx, err, c.timeout)
		cancel()
		if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
			err = nil
		}
		var nm gogit.NoMatchingRefSpecError
		if errors.As(err, &nm) {
			err = errBranchNotFound{r.o.Branch}
		}
	}
	r.o.Metrics.observe(r.remote, op, err)
	if err != nil {
		return plumbing.ZeroHash, r.wrap(op, err, c)
	}
	h := r.ref(r.trackingRef())
	if h.IsZero() {
		return h, r.wrap(op, errBranchNotFound{r.o.Branch}, c)
	}
	r.log.Debug("fetched", "op", op, "revision", h.String())
	return h, nil
}

// push sends the local branch to the remote branch; never forced. Callers
// hold r.mu.
func (r *Repo) push(ctx context.Context, remoteHead plumbing.Hash) error {
	c, err := r.credentials()
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = r.repo.PushContext(pctx, &gogit.PushOptions{
			RemoteName: remoteName,
			RefSpecs:   []gitconfig.RefSpec{gitconfig.RefSpec(fmt.Sprintf("%s:%s", r.branchRef(), r.branchRef()))},
			Auth:       c.method,
			// Refused by the remote when the branch moved since the check.
			RequireRemoteRefs: []gitconfig.RefSpec{gitconfig.RefSpec(fmt.Sprintf("%s:%s", remoteHead, r.branchRef()))},
		})
		err = timeoutError(pctx, err, c.timeout)
		cancel()
		if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
			err = nil
		}
		if isRejection(err) {
			err = fmt.Errorf("%w: %s", ErrPushRejected, scrub(err.Error(), c.secrets...))
		}
	}
	r.o.Metrics.observe(r.remote, OpPush, err)
	return r.wrap(OpPush, err, c)
}

// isRejection tells a refused non-fast-forward from other push failures, by
// go-git's and git-receive-pack's words.
func isRejection(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gogit.ErrForceNeeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "required to be", "failed to lock", "stale info", "cannot lock ref", "failed to update ref"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// timeoutError names the timeout when the operation ran out of time.
func timeoutError(ctx context.Context, err error, d time.Duration) error {
	if err != nil && (errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("timed out after %s (source.git.timeout): %w", d, err)
	}
	return err
}
