// Package reconciler runs the per-fabric syncs: one at a time per fabric,
// triggers coalesced into one follow-up, a bounded number across fabrics,
// each sync a list of steps walking the state machine of SPEC §4
// (ingestion, for a git fabric commit and push, then the desired set
// applied to every sink). A fabric's facts are its row in the state store,
// which the reconciler alone writes and everyone else reads. It
// owns the interfaces of what it drives: Repository and Worktree (a git
// fabric's working tree); the ports of a fabric's input and outputs,
// Source and Sink, are in reconciler/contract.
package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// Source is contract.Source, kept under this name for the many callers
// that build fabrics.
type Source = contract.Source

// FabricSpec is what the reconciler needs to know of one configured fabric.
type FabricSpec struct {
	Name string
	// Root is the FGD's directory on this host.
	Root string
	// Hash identifies the fabric's configuration: a different hash on
	// Apply restarts the fabric.
	Hash string
	// NewSource builds the fabric's input watcher; nil means the fabric
	// syncs only on manual triggers. The source calls trigger when work may
	// be waiting, and report with each failure to reach its input (a git
	// head check that failed) and with nil once it works again: a failure
	// is the fabric's last error until then.
	NewSource contract.NewSource
	// Settle is how long a file must be left untouched before a sync takes
	// it (a writer may still be at work); deferred files get a follow-up sync.
	Settle time.Duration
	// Sinks receive the desired set after every successful ingestion.
	Sinks []SinkSpec
	// Git, when set, makes this a git fabric: Root is then unused and the
	// FGD lives at Git.Path in Git.Repo's working tree.
	Git *GitSpec
}

// Options configures a Reconciler. Registry, Metrics and Store are
// required; zero values of the others get defaults.
type Options struct {
	Logger   *slog.Logger
	Metrics  *Metrics
	Registry *resource.Registry
	// Store holds every fact of the fabrics (their state, syncs, events,
	// desired sets): readiness, Fabrics, the API and the status page read
	// it, and the reconciler is its only writer.
	Store *state.Store
	// StateDir holds what must survive a restart (sink inventories).
	StateDir string
	// OnSyncEnd, when set, is told every finished sync (the audit log).
	OnSyncEnd func(SyncStatus)
	// MaxConcurrentSyncs bounds syncs across fabrics (default 4 × cores).
	MaxConcurrentSyncs int
	// ShutdownTimeout is how long running syncs may go on once the
	// reconciler is told to stop, before their context is cancelled.
	ShutdownTimeout time.Duration
	// LockTimeout bounds the wait for another process's FGD lock.
	LockTimeout time.Duration
	// Backoff is the retry schedule of transient failures within a sync
	// (default 1 s, ×2, 60 s cap, 3 attempts), and of the syncs that follow
	// a failed one. A waiting error that asks for more than its MaxWait
	// (default 5 s) ends the sync, which the fabric runs again later.
	Backoff resilience.Backoff
	// Breakers configures the circuit breakers per remote (default: 5
	// consecutive failures open one for 60 s).
	Breakers resilience.BreakerOptions
	Now      func() time.Time
}

// maxWaitInSync is the longest a sync waits, holding its slot, for a
// waiting error's retry.
const maxWaitInSync = 5 * time.Second

// ErrUnknownFabric is returned for a trigger naming no configured fabric.
var ErrUnknownFabric = errors.New("unknown fabric")

// Reconciler owns the fabrics and their sync loops.
type Reconciler struct {
	opts     Options
	log      *slog.Logger
	breakers *resilience.Breakers
	sem      chan struct{}
	work     chan struct{} // tokens for ingestion work when several syncs run
	applyCh  chan applyReq

	mu      sync.Mutex
	fabrics map[string]*fabric
}

type applyReq struct {
	specs []FabricSpec
	done  chan error
}

// New returns a Reconciler; call Apply to give it fabrics and Run to start it.
func New(opts Options) (*Reconciler, error) {
	switch {
	case opts.Registry == nil:
		return nil, errors.New("reconciler: a resource registry is required")
	case opts.Store == nil:
		return nil, errors.New("reconciler: a state store is required")
	case opts.Metrics == nil:
		return nil, errors.New("reconciler: metrics are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConcurrentSyncs <= 0 {
		opts.MaxConcurrentSyncs = 4 * runtime.NumCPU()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 30 * time.Second
	}
	if opts.Backoff.MaxWait <= 0 {
		// A sync does not sit in its slot for a minute waiting on an open
		// circuit, starving the other fabrics: it fails, and the fabric
		// runs it again when the probe is due (fabric.scheduleRetry).
		opts.Backoff.MaxWait = maxWaitInSync
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Reconciler{
		opts:    opts,
		log:     opts.Logger,
		sem:     make(chan struct{}, opts.MaxConcurrentSyncs),
		work:    make(chan struct{}, max(1, runtime.NumCPU()-1)),
		applyCh: make(chan applyReq),
		fabrics: map[string]*fabric{},
	}
	onChange := opts.Breakers.OnChange
	opts.Breakers.OnChange = func(target string, from, to resilience.BreakerState) {
		r.circuitChanged(target, from, to)
		if onChange != nil {
			onChange(target, from, to)
		}
	}
	r.breakers = resilience.NewBreakers(opts.Breakers)
	return r, nil
}

// GuardRemote runs fn, a git remote's head check, through the remote's
// circuit breaker (the remote as GitSpec's Repo.Remote names it), the one
// the syncs of its fabrics go through: a failed check counts toward opening
// it, a stalled one does not, and while it is open fn is not run and the
// error wraps resilience.ErrOpen. Once the open window has passed the next
// check or sync is the probe.
func (r *Reconciler) GuardRemote(remote string, fn func() error) error {
	return r.breakers.Do(remoteTarget(remote), fn)
}

// circuitChanged logs a breaker's transition, exports it and records it in
// the store for every fabric behind that target.
func (r *Reconciler) circuitChanged(target string, from, to resilience.BreakerState) {
	level := slog.LevelInfo
	if to == resilience.BreakerOpen {
		level = slog.LevelWarn
	}
	r.log.Log(context.Background(), level, "circuit "+string(to), "target", target, "from", string(from))
	r.mu.Lock()
	var names []string
	for name, f := range r.fabrics {
		if f.targets(target) {
			names = append(names, name)
		}
	}
	r.mu.Unlock()
	for _, name := range names {
		r.opts.Metrics.circuit.WithLabelValues(name, target).Set(resilience.CircuitValue(to))
		r.storeCircuit(name, target, to)
		switch to {
		case resilience.BreakerOpen:
			r.event(name, state.EventCircuitOpened, map[string]any{"target": target})
		case resilience.BreakerClosed:
			r.event(name, state.EventCircuitClosed, map[string]any{"target": target})
		}
	}
}

// workGate takes a work token; the returned function gives it back.
func (r *Reconciler) workGate() func() {
	r.work <- struct{}{}
	return func() { <-r.work }
}

// CircuitState reports the state of a target's breaker ("closed" when it
// has never failed).
func (r *Reconciler) CircuitState(target string) resilience.BreakerState {
	return r.breakers.State(target)
}

// Apply replaces the set of fabrics: added ones start, removed ones stop
// after their running sync, and ones whose Hash changed restart. It blocks
// until the change is in effect or ctx is done; it needs Run to be running.
func (r *Reconciler) Apply(ctx context.Context, specs []FabricSpec) error {
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Name] {
			return fmt.Errorf("reconciler: fabric %q given twice", s.Name)
		}
		seen[s.Name] = true
	}
	req := applyReq{specs: specs, done: make(chan error, 1)}
	select {
	case r.applyCh <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run drives the fabrics until ctx is done, then lets running syncs finish
// within ShutdownTimeout and returns once every fabric loop has ended.
func (r *Reconciler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for {
		select {
		case req := <-r.applyCh:
			req.done <- r.apply(ctx, req.specs, &wg)
		case <-ctx.Done():
			r.mu.Lock()
			for _, f := range r.fabrics {
				f.stop()
			}
			r.mu.Unlock()
			wg.Wait()
			return nil
		}
	}
}

func (r *Reconciler) apply(ctx context.Context, specs []FabricSpec, wg *sync.WaitGroup) error {
	want := map[string]FabricSpec{}
	for _, s := range specs {
		want[s.Name] = s
	}
	r.mu.Lock()
	var stopping []*fabric
	for name, f := range r.fabrics {
		if s, ok := want[name]; !ok || s.Hash != f.spec.Hash {
			f.stop()
			stopping = append(stopping, f)
			delete(r.fabrics, name)
		}
	}
	r.mu.Unlock()
	// A restarted fabric must not run two syncs on one FGD: wait for the old
	// loop to end before the new one starts.
	for _, f := range stopping {
		<-f.done
		if _, kept := want[f.spec.Name]; !kept {
			r.opts.Metrics.forget(f.spec.Name)
			r.forgetCircuits(f, want)
			r.storeFabricRemoved(f.spec.Name)
		}
		r.log.Info("fabric stopped", "fabric", f.spec.Name)
	}
	var errs []error
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		r.mu.Lock()
		_, running := r.fabrics[name]
		r.mu.Unlock()
		if running {
			continue
		}
		f, err := r.startFabric(ctx, want[name], wg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.mu.Lock()
		r.fabrics[name] = f
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// forgetCircuits drops the circuit breakers of a removed fabric, so that a
// fabric added again under its name starts with closed circuits: its sinks'
// always, its remote's only when no fabric still configured shares it (the
// fabrics of one repository share its breaker).
func (r *Reconciler) forgetCircuits(f *fabric, want map[string]FabricSpec) {
	remote := f.target()
	for _, s := range want {
		if s.Git != nil && remote == remoteTarget(s.Git.Repo.Remote()) {
			remote = ""
		}
	}
	for _, t := range f.circuitTargets() {
		if t != remote && strings.HasPrefix(t, remoteTargetPrefix) {
			continue
		}
		r.breakers.Forget(t)
	}
}

// Trigger asks for a sync of the named fabric; it coalesces with any
// trigger already waiting.
func (r *Reconciler) Trigger(name string, t Trigger) error {
	r.mu.Lock()
	f, ok := r.fabrics[name]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownFabric, name)
	}
	f.trigger(t)
	return nil
}
