package git

import (
	"context"
	"errors"
	"fmt"
	"time"

	gogit "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/fgdproject/fgd/sources/git/gitwrite"
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

// fetch brings the branch's head into the clone (shallow, this branch
// only) and returns it: the first fetch brings the head alone (depth 1),
// later ones what is new since the clone's commits (see fetchNew). Callers
// hold r.mu.
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
	if err == nil && op == OpFetch && depth == 1 {
		var h plumbing.Hash
		if h, err = r.fetchIncremental(ctx, c); err == nil {
			r.o.Metrics.observe(r.remote, op, nil)
			r.log.Debug("fetched", "op", op, "revision", h.String())
			return h, nil
		}
		if errors.Is(err, errNoCommonBase) || errors.Is(err, errNotIncremental) {
			r.log.Info("fetching the remote head alone", "why", scrub(err.Error(), c.secrets...))
			err = r.fetchShallow(ctx, c, depth)
		}
	} else if err == nil {
		err = r.fetchShallow(ctx, c, depth)
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

// fetchIncremental is fetchNew within the timeout.
func (r *Repo) fetchIncremental(ctx context.Context, c credentials) (plumbing.Hash, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	h, err := r.fetchNew(ctx, c.method)
	return h, timeoutError(ctx, err, c.timeout)
}

// fetchShallow fetches the branch's head with depth commits of history
// through go-git: a clone's first fetch, or a deeper history.
func (r *Repo) fetchShallow(ctx context.Context, c credentials, depth int) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := r.repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []gitconfig.RefSpec{r.fetchSpec()},
		Depth:      depth,
		Tags:       gogit.NoTags,
		Auth:       c.method,
	})
	err = timeoutError(ctx, err, c.timeout)
	if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil
	}
	var nm gogit.NoMatchingRefSpecError
	if errors.As(err, &nm) {
		return errBranchNotFound{r.o.Branch}
	}
	return err
}

// push sends the local branch to the remote branch (gitwrite.Push: a
// compare-and-swap on remoteHead, never forced). Callers hold r.mu.
func (r *Repo) push(ctx context.Context, remoteHead plumbing.Hash) error {
	c, err := r.credentials()
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = gitwrite.Push(pctx, r.repo, remoteName, r.branchRef(), remoteHead, c.method)
		err = timeoutError(pctx, err, c.timeout)
		cancel()
	}
	r.o.Metrics.observe(r.remote, OpPush, err)
	return r.wrap(OpPush, err, c)
}

// timeoutError names the timeout when the operation ran out of time.
func timeoutError(ctx context.Context, err error, d time.Duration) error {
	if err != nil && (errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("timed out after %s (source.git.timeout): %w", d, err)
	}
	return err
}
