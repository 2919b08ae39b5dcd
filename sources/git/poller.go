package git

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/internal/resilience"
)

// Reasons passed to the trigger functions of a Poller's subscribers.
const (
	// ReasonStartup is given to every subscriber once, at the first poll (or
	// when it subscribes after it), whatever the remote said: every fabric
	// gets its first sync.
	ReasonStartup = "startup"
	// ReasonPoll is given when an interval's head check saw the branch move
	// and the change touches the subscriber's path.
	ReasonPoll = "poll"
	// ReasonKick is given instead when the check was asked for by Kick (a
	// webhook).
	ReasonKick = "kick"
)

// DefaultInterval is the poll interval of a zero interval.
const DefaultInterval = time.Minute

// Poller checks a Repo's remote head at an interval (±10% jitter) and wakes
// the subscribers whose path the change touched. An unchanged head costs one
// ref advertisement and no fetch; fgd's own commits wake nobody.
type Poller struct {
	r        *Repo
	interval atomic.Int64 // a time.Duration; SetInterval changes it
	log      *slog.Logger
	kick     chan struct{}
	retime   chan struct{} // the interval changed: set the timer anew

	mu     sync.Mutex
	subs   map[int]subscription
	nextID int
	polled bool          // the first poll happened
	last   plumbing.Hash // the head seen by the last successful check
	err    error         // the last check's failure (classified), nil after a success

	// afterPoll, when set (by the package's tests only), is called when a
	// poll has triggered its subscribers.
	afterPoll func()
	// guard, when set, runs each head check through the remote's circuit
	// breaker (Guard).
	guard func(check func() error) error
}

type subscription struct {
	sub     string
	trigger func(reason string)
	report  func(err error)
}

// NewPoller returns a Poller of r; run it with Run. A nil logger means the
// Repo's.
func NewPoller(r *Repo, interval time.Duration, logger *slog.Logger) *Poller {
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := r.log // carries remote and branch
	if logger != nil {
		log = logger.With("remote", r.remote, "branch", r.o.Branch)
	}
	p := &Poller{
		r:      r,
		log:    log,
		kick:   make(chan struct{}, 1),
		retime: make(chan struct{}, 1),
		subs:   map[int]subscription{},
	}
	p.interval.Store(int64(interval))
	return p
}

// Interval is the time between two head checks (before jitter).
func (p *Poller) Interval() time.Duration { return time.Duration(p.interval.Load()) }

// SetInterval changes the time between two head checks (a reload); zero
// means DefaultInterval. A running Poller's next check comes one new
// interval after the last check, or at once when that time has passed. It
// reports whether the interval changed.
func (p *Poller) SetInterval(d time.Duration) bool {
	if d <= 0 {
		d = DefaultInterval
	}
	if time.Duration(p.interval.Swap(int64(d))) == d {
		return false
	}
	p.log.Info("poll interval changed by a reload", "interval", d.String())
	select {
	case p.retime <- struct{}{}:
	default:
	}
	return true
}

// next is the delay before the check after one made at last: the interval
// ±10%.
func (p *Poller) next(last time.Time) time.Duration {
	d := time.Duration(float64(p.Interval()) * (0.9 + 0.2*rand.Float64()))
	return max(0, time.Until(last.Add(d)))
}

// Guard runs every head check through guard: the remote's circuit
// breaker, which counts a failed check like a failed sync and, while the
// circuit is open, refuses with an error wrapping resilience.ErrOpen, so
// for the open window nothing of fgd contacts the remote. Call it before
// Run.
func (p *Poller) Guard(guard func(check func() error) error) { p.guard = guard }

// Subscribe registers trigger for the FGD at sub ("." for the whole
// repository): it is called, without blocking for long, when a change
// touches sub. A subscriber added after the first poll is triggered with
// ReasonStartup at once. report, when not nil, is told the outcome of every
// head check: its failure, classified (resilience) with a remediation, or
// nil; a subscriber added while the checks fail is told at once. The
// returned function unsubscribes.
func (p *Poller) Subscribe(sub string, trigger func(reason string), report func(err error)) (unsubscribe func()) {
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.subs[id] = subscription{sub: sub, trigger: trigger, report: report}
	late, failing := p.polled, p.err
	p.mu.Unlock()
	if failing != nil && report != nil {
		report(failing)
	}
	if late {
		trigger(ReasonStartup)
	}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.subs, id)
	}
}

// Seen records h as fgd's own commit (a push it made): a poll that sees it
// wakes nobody. Commits made with Worktree.Commit are recorded already.
func (p *Poller) Seen(h plumbing.Hash) { p.r.Seen(h) }

// Kick asks for a poll now (a webhook arrived); kicks during a poll coalesce
// into one more poll.
func (p *Poller) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run polls at once, then every interval ±10% and on every Kick, until ctx
// is done; it returns nil then.
func (p *Poller) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last time.Time
	for {
		reason := ReasonPoll
		select {
		case <-ctx.Done():
			return nil
		case <-p.retime:
			timer.Reset(p.next(last))
			continue
		case <-timer.C:
		case <-p.kick:
			reason = ReasonKick
		}
		last = time.Now()
		p.poll(ctx, reason)
		timer.Reset(p.next(last))
	}
}

// poll checks the head once, tells the subscribers how it went, and
// triggers whom the change concerns.
func (p *Poller) poll(ctx context.Context, reason string) {
	if p.afterPoll != nil {
		defer p.afterPoll()
	}
	head, err := p.check(ctx)
	skipped := errors.Is(err, resilience.ErrOpen) || ctx.Err() != nil
	p.mu.Lock()
	first := !p.polled
	p.polled = true
	last := p.last
	if !skipped {
		p.noteError(err)
	}
	if err == nil {
		p.last = head
	}
	p.mu.Unlock()
	if !skipped {
		p.report(err)
	}

	switch {
	case first:
		p.trigger(ReasonStartup, nil, true)
		return
	case err != nil, head == last:
		return
	}
	paths, all := p.changes(ctx, last, head)
	p.trigger(reason, paths, all)
}

// check asks the remote for the branch's head, through the guard when
// there is one; the error is classified for the breaker and the fabrics.
func (p *Poller) check(ctx context.Context) (plumbing.Hash, error) {
	var head plumbing.Hash
	check := func() error {
		h, err := p.r.RemoteHead(ctx)
		head = h
		return classifyGit(p.r, err)
	}
	if p.guard == nil {
		return head, check()
	}
	if err := p.guard(check); err != nil {
		if errors.Is(err, resilience.ErrOpen) {
			p.log.Debug("remote head check skipped: the remote's circuit breaker is open")
		}
		return plumbing.ZeroHash, err
	}
	return head, nil
}

// report tells every subscriber the outcome of a head check.
func (p *Poller) report(err error) {
	p.mu.Lock()
	var tell []func(error)
	for _, s := range p.subs {
		if s.report != nil {
			tell = append(tell, s.report)
		}
	}
	p.mu.Unlock()
	for _, f := range tell {
		f(err)
	}
}

// changes returns the paths others changed between the heads last and head,
// or all=true when that cannot be known.
func (p *Poller) changes(ctx context.Context, last, head plumbing.Hash) (paths []string, all bool) {
	if last.IsZero() {
		return nil, true
	}
	r := p.r
	r.mu.Lock()
	defer r.mu.Unlock()
	// Skip fgd's own commits: only what others changed wakes anybody.
	base := head
	for i := 0; i < ownCommits && base != last && r.isOwn(base); i++ {
		have, err := r.ensureCommit(ctx, base)
		if err != nil || !have {
			return nil, true
		}
		c, err := r.commit(base)
		if err != nil || c == nil || len(c.ParentHashes) == 0 {
			return nil, true
		}
		base = c.ParentHashes[0]
	}
	if base == last {
		p.log.Debug("the branch moved by fgd's own commits only", "revision", head.String())
		return nil, false
	}
	if have, err := r.ensureCommit(ctx, base); err != nil || !have {
		if err != nil {
			p.log.Warn("cannot fetch the new head to see what changed: waking every fabric of the repository", "revision", base.String(), "err", err)
		}
		return nil, true
	}
	paths, err := r.changedPaths(ctx, last, base)
	if err != nil {
		if !errors.Is(err, ErrUnknownBase) {
			p.log.Warn("cannot tell what changed: waking every fabric of the repository", "err", err)
		}
		return nil, true
	}
	p.log.Debug("the branch moved", "from", last.String(), "to", head.String(), "paths", len(paths))
	return paths, false
}

// trigger calls the subscribers whose path is touched (all of them when
// all is set).
func (p *Poller) trigger(reason string, paths []string, all bool) {
	p.mu.Lock()
	var fire []func(string)
	for _, s := range p.subs {
		if all || Touches(paths, s.sub) {
			fire = append(fire, s.trigger)
		}
	}
	p.mu.Unlock()
	for _, f := range fire {
		f(reason)
	}
}

// noteError records the check's outcome, logging a failure when its
// message differs from the last one, and the recovery; repeats go to
// debug. Callers hold p.mu.
func (p *Poller) noteError(err error) {
	prev := p.err
	p.err = err
	switch {
	case err == nil && prev != nil:
		p.log.Info("the remote head check works again")
	case err != nil && (prev == nil || err.Error() != prev.Error()):
		p.log.Warn("remote head check failed", "err", err, "class", resilience.ClassOf(err).String())
	case err != nil:
		p.log.Debug("remote head check failed", "err", err)
	}
}
