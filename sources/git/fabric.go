package git

import (
	"context"
	"errors"
	"fmt"
	"github.com/fgdproject/fgd/reconciler/contract"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/resilience"
)

// Hub owns the clones and pollers of the daemon's git fabrics: one per
// (URL, branch), shared by every fabric whose FGD lives in that repository
// (a monorepo gets one clone and one head check per interval). A poller
// runs while at least one fabric subscribes to it.
type Hub struct {
	stateDir string
	log      *slog.Logger
	metrics  *Metrics

	// guard runs a remote's head checks through its circuit breaker (nil:
	// unguarded).
	guard func(remote string, check func() error) error

	mu    sync.Mutex
	repos map[string]*gitEntry
}

type gitEntry struct {
	repo   *Repo
	poller *Poller
	subs   int
	cancel context.CancelFunc
	done   chan struct{}
}

// NewHub returns a Hub keeping its clones below stateDir/git.
func NewHub(stateDir string, log *slog.Logger, metrics *Metrics) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{stateDir: stateDir, log: log, metrics: metrics, repos: map[string]*gitEntry{}}
}

// GuardPolls runs every head check of the hub's pollers through guard,
// given the remote as Repo.Remote names it: the remote's circuit breaker,
// so failed checks count toward opening it and no check is made while it
// is open (Poller.Guard). Call it before the first Spec.
func (h *Hub) GuardPolls(guard func(remote string, check func() error) error) { h.guard = guard }

func repoKey(url, branch string) string { return url + "\n" + branch }

// verifyOf is the verification of src; the zero value when it has none.
func verifyOf(src *config.GitSource) config.GitVerify {
	if src.Verify == nil {
		return config.GitVerify{}
	}
	return *src.Verify
}

// entry returns the shared clone of src's repository, opening it on first
// use. The settings that belong to the repository (auth, timeout, author,
// interval) are the same in every fabric of it (the config validator sees
// to that); a fabric whose settings differ from the open clone's comes from
// a reload that changed them, and they are put in force for every fabric of
// the repository.
func (h *Hub) entry(src *config.GitSource) (*gitEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := repoKey(src.URL, src.Branch)
	if e, ok := h.repos[key]; ok {
		e.repo.Reconfigure(Settings{Auth: src.Auth, Timeout: src.Timeout, Author: src.Author, Verify: verifyOf(src)})
		e.poller.SetInterval(src.Interval)
		return e, nil
	}
	dir, err := filepath.Abs(DirFor(h.stateDir, src.URL, src.Branch))
	if err != nil {
		return nil, err
	}
	repo, err := Open(Options{
		URL: src.URL, Branch: src.Branch, Auth: src.Auth, Timeout: src.Timeout,
		Dir: dir, Author: src.Author, Verify: verifyOf(src), Logger: h.log, Metrics: h.metrics,
	})
	if err != nil {
		return nil, err
	}
	e := &gitEntry{repo: repo, poller: NewPoller(repo, src.Interval, h.log)}
	if guard := h.guard; guard != nil {
		remote := repo.Remote()
		e.poller.Guard(func(check func() error) error { return guard(remote, check) })
	}
	h.repos[key] = e
	return e, nil
}

// acquire starts the entry's poller for its first subscriber.
func (h *Hub) acquire(e *gitEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.subs++
	if e.subs > 1 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		if err := e.poller.Run(ctx); err != nil {
			h.log.Error("git poller stopped", "remote", e.repo.Remote(), "err", err)
		}
	}()
}

// release stops the poller when its last subscriber leaves.
func (h *Hub) release(e *gitEntry) {
	h.mu.Lock()
	e.subs--
	if e.subs > 0 {
		h.mu.Unlock()
		return
	}
	cancel, done := e.cancel, e.done
	h.mu.Unlock()
	cancel()
	<-done
}

// Kick makes the poller of url/branch poll now (webhooks).
func (h *Hub) Kick(url, branch string) {
	h.mu.Lock()
	e, ok := h.repos[repoKey(url, branch)]
	h.mu.Unlock()
	if ok {
		e.poller.Kick()
	}
}

// GitSpec returns the git side of a fabric whose source is src (the
// reconciler's FabricSpec.Git): its FGD's path in the shared clone of src's
// repository, which it opens on first use.
func (h *Hub) GitSpec(src *config.GitSource) (*contract.GitSpec, error) {
	e, err := h.entry(src)
	if err != nil {
		return nil, err
	}
	return &contract.GitSpec{
		Repo: gitRepo{e.repo},
		Path: src.Path,
		Push: src.Push,
		Pushed: func(rev string) {
			e.repo.Seen(plumbing.NewHash(rev))
		},
	}, nil
}

// NewFabricSource returns the constructor of the source of a fabric whose
// source is src (the reconciler's FabricSpec.NewSource): it subscribes the
// fabric to the poller of src's repository, which it opens on first use.
// The dir source offers the same (dir.NewFabricSource).
func (h *Hub) NewFabricSource(src *config.GitSource) (contract.NewSource, error) {
	e, err := h.entry(src)
	if err != nil {
		return nil, err
	}
	sub := src.Path
	return func(trigger func(contract.Trigger), report func(error)) (contract.Source, error) {
		return &gitSource{hub: h, entry: e, sub: sub, trigger: trigger, report: report}, nil
	}, nil
}

// gitSource subscribes a fabric to its repository's poller for as long as
// the fabric runs.
type gitSource struct {
	hub     *Hub
	entry   *gitEntry
	sub     string
	trigger func(contract.Trigger)
	report  func(error)
}

var _ contract.Source = (*gitSource)(nil)

func (s *gitSource) Run(ctx context.Context) error {
	s.hub.acquire(s.entry)
	defer s.hub.release(s.entry)
	unsubscribe := s.entry.poller.Subscribe(s.sub, func(reason string) {
		if reason == ReasonStartup {
			// The fabric's first sync (contract.Source).
			s.trigger(contract.Trigger{Kind: contract.TriggerStartup})
			return
		}
		s.trigger(contract.Trigger{Kind: contract.TriggerPoll, Detail: reason})
	}, s.report)
	defer unsubscribe()
	<-ctx.Done()
	return nil
}

// gitRepo adapts *Repo to the reconciler's Repository, and git's error
// kinds to the reconciler's retry classes.
type gitRepo struct{ r *Repo }

var _ contract.Repository = gitRepo{}

func (g gitRepo) Remote() string { return g.r.Remote() }

func (g gitRepo) Do(ctx context.Context, fn func(ctx context.Context, w contract.Worktree) error) error {
	return g.r.Do(ctx, func(ctx context.Context, w *Worktree) error {
		return fn(ctx, gitWorktree{w, g.r})
	})
}

type gitWorktree struct {
	w *Worktree
	r *Repo
}

func (g gitWorktree) Update(ctx context.Context) (string, error) {
	h, err := g.w.Update(ctx)
	return h.String(), classifyGit(g.r, err)
}

func (g gitWorktree) Path(sub string) (string, error) { return g.w.Path(sub) }

func (g gitWorktree) Signer() string { return g.w.Signer() }

func (g gitWorktree) Commit(ctx context.Context, sub, message string) (string, bool, error) {
	h, ok, err := g.w.Commit(ctx, sub, message)
	return h.String(), ok, classifyGit(g.r, err)
}

func (g gitWorktree) Push(ctx context.Context) (bool, error) {
	err := g.w.Push(ctx)
	if errors.Is(err, ErrPushRejected) {
		return true, nil
	}
	return false, classifyGit(g.r, err)
}

// classifyGit maps git failures to what the reconciler does next: bad
// credentials or a missing repository need a human (stalled: no retries,
// no circuit); anything else from the network is transient, and a failed
// operation on the remote gets the remediation the fabric shows until it
// works again.
func classifyGit(r *Repo, err error) error {
	var ge *Error
	switch {
	case err == nil:
		return nil
	case IsAuth(err):
		return resilience.Stalled(err, fmt.Sprintf("check the credentials (auth.*_file) or host key (known_hosts_file) for %s", r.Remote()))
	case IsNotFound(err):
		return resilience.Stalled(err, fmt.Sprintf("check that %s and branch %s exist and that the credentials can read them", r.Remote(), r.Branch()))
	}
	var ve *VerifyError
	if errors.As(err, &ve) {
		return resilience.Stalled(err, fmt.Sprintf("commit %s on %s branch %s (signer: %s) was refused, and the last verified revision stays applied: "+
			"push a commit signed by one of the trusted keys (%s), or add the signer's public key to the trust files if it should be trusted; "+
			"fgd resumes by itself on the next commit that passes", ve.Commit, r.Remote(), r.Branch(), ve.Signer, ve.Trusted))
	}
	var ke *KeyFileError
	if errors.As(err, &ke) {
		return resilience.Stalled(err, fmt.Sprintf("fix the file of source.git.%s of the fabrics of %s, then run fgd sync (or reload, when the fix is in the config)", ke.Key, r.Remote()))
	}
	if errors.As(err, &ge) && !errors.Is(err, context.Canceled) {
		return &resilience.Error{Class: resilience.ClassTransient, Err: err,
			Remediation: fmt.Sprintf("check that %s is up and reachable from this host (network, DNS, proxy, firewall); fgd tries again by itself", r.Remote())}
	}
	return err
}
