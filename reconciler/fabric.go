package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// fabric is one fabric's sync loop: it owns its source and runs at most one
// sync at a time. Triggers that arrive during a sync collapse into one
// follow-up sync (wake has room for a single token). The fabric's facts
// (its state, current and last sync, suspension, the source's failure,
// what the store has loaded) are its row in the store (row); the struct
// holds only the loop's machinery.
type fabric struct {
	spec FabricSpec
	r    *Reconciler
	log  *slog.Logger
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
	once sync.Once

	// mu guards the fields below, and orders the reads and writes of the
	// row that must not interleave: a trigger against a suspension, a
	// sync starting against SyncNow.
	mu      sync.Mutex
	pending []Trigger
	// nextID is the ID promised to an API caller for the next sync.
	nextID string
	// managed remembers the managed files found valid, so a sync over an
	// unchanged managed/ parses none of them again.
	managed *ingest.ManagedCache
	// failures counts the syncs failed in a row; retry is the timer of the
	// sync that follows a failed one (nil when none is due).
	failures int
	retry    *time.Timer
	// verified is the last revision whose signature verification was
	// reported as an event.
	verified string
	// heldRechecks counts the syncs in a row that found only files held
	// open for writing (followDeferred).
	heldRechecks int
}

// row reads the fabric's record, the one source of its facts. A store that
// fails the read (logged) or holds no row reads as a fabric with no facts.
func (f *fabric) row() *state.Fabric {
	rec, err := f.r.opts.Store.Fabric(nil, f.spec.Name)
	f.r.storeErr(err)
	if rec == nil {
		return &state.Fabric{Name: f.spec.Name}
	}
	return rec
}

// setVerified records rev as the last verified revision ("" after a
// failure) and reports whether it changed.
func (f *fabric) setVerified(rev string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := f.verified != rev
	f.verified = rev
	return changed
}

func (r *Reconciler) startFabric(ctx context.Context, spec FabricSpec, wg *sync.WaitGroup) (*fabric, error) {
	f := &fabric{
		spec: spec,
		r:    r,
		log:  r.log.With("fabric", spec.Name),
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	f.managed = ingest.NewManagedCache()
	// The row exists before the source can report or trigger.
	r.storeFabricStarted(f)
	var src Source
	if spec.NewSource != nil {
		s, err := spec.NewSource(f.trigger, f.sourceReport)
		if err != nil {
			return nil, fmt.Errorf("fabric %s: start source: %w", spec.Name, err)
		}
		src = s
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(f.done)
		f.loop(ctx, src)
	}()
	if t := f.target(); t != "" {
		r.opts.Metrics.circuit.WithLabelValues(spec.Name, t).Set(resilience.CircuitValue(r.breakers.State(t)))
	}
	r.loadInventories(f)
	f.log.Info("fabric started", "root", spec.Root)
	// Every fabric syncs once at start: readiness waits for that attempt,
	// and work that arrived while fgd was down is picked up. A source asks
	// for that sync itself (Source), once it watches: a sync triggered here
	// as well would race its setup and run twice.
	if src == nil {
		f.trigger(Trigger{Kind: "startup"})
	}
	return f, nil
}

// trigger records why a sync is wanted and wakes the loop; it never blocks.
func (f *fabric) trigger(t Trigger) {
	f.mu.Lock()
	if f.row().Suspended {
		f.mu.Unlock()
		return
	}
	// Keep the list short: a burst of 5,000 fsnotify events is one reason.
	if n := len(f.pending); n == 0 || f.pending[n-1].Kind != t.Kind {
		if n < 16 {
			f.pending = append(f.pending, t)
		}
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// triggerAfter triggers once d has passed, unless the fabric stopped.
func (f *fabric) triggerAfter(d time.Duration, t Trigger) {
	go func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
			f.trigger(t)
		case <-f.quit:
		}
	}()
}

// maxHeldRecheck caps the delay between the syncs that look again at files
// held open for writing.
const maxHeldRecheck = 30 * time.Second

// followDeferred arranges the sync that takes the files a sync deferred
// (ingest.Report.Deferred), so none is left in raw/ until some unrelated
// change. A file still settling or changed after its read is looked at
// again after Settle. Files held open by a writer are left to the source,
// which triggers when the writer closes them, and looked at again after 1 s,
// doubling while they stay held, up to maxHeldRecheck: a writer that keeps
// a file open for an hour costs a sync a half-minute, not four a second.
func (f *fabric) followDeferred(deferred []ingest.Skipped) {
	if len(deferred) == 0 {
		f.mu.Lock()
		f.heldRechecks = 0
		f.mu.Unlock()
		return
	}
	delay := f.spec.Settle
	held := true
	for _, d := range deferred {
		held = held && d.Code == ingest.DeferOpenForWriting
	}
	f.mu.Lock()
	if held {
		delay = min(time.Second<<min(f.heldRechecks, 5), maxHeldRecheck)
		f.heldRechecks++
	} else {
		f.heldRechecks = 0
	}
	f.mu.Unlock()
	f.triggerAfter(delay, Trigger{Kind: "settle", Detail: deferred[0].Path})
}

// target is the circuit-breaker target of the fabric's remote, or "".
func (f *fabric) target() string {
	if f.spec.Git == nil {
		return ""
	}
	return remoteTarget(f.spec.Git.Repo.Remote())
}

// targets reports whether a circuit-breaker target is one of the fabric's:
// its remote or one of its sinks.
func (f *fabric) targets(target string) bool {
	if target == f.target() && target != "" {
		return true
	}
	for _, s := range f.spec.Sinks {
		if target == sinkTarget(f.spec.Name, s.Name) {
			return true
		}
	}
	return false
}

// circuitTargets lists the fabric's circuit-breaker targets: its remote, if
// any, then its sinks.
func (f *fabric) circuitTargets() []string {
	var out []string
	if t := f.target(); t != "" {
		out = append(out, t)
	}
	for _, s := range f.spec.Sinks {
		out = append(out, sinkTarget(f.spec.Name, s.Name))
	}
	return out
}

// stop asks the loop to end after its running sync; safe to call twice.
func (f *fabric) stop() { f.once.Do(func() { close(f.quit) }) }

func (f *fabric) loop(parent context.Context, src Source) {
	// The source and the wait for triggers end as soon as the fabric is
	// stopped or the daemon shuts down; a running sync gets ShutdownTimeout
	// more to finish (runSync).
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	go func() {
		select {
		case <-f.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	var srcDone chan struct{}
	if src != nil {
		srcDone = make(chan struct{})
		go func() {
			defer close(srcDone)
			if err := src.Run(ctx); err != nil {
				f.log.Error("source stopped", "err", err)
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			if srcDone != nil {
				<-srcDone
			}
			return
		case <-f.wake:
			f.runSync(ctx)
		}
	}
}

// runSync runs one sync with a context that outlives a shutdown request by
// ShutdownTimeout, so a sync in flight finishes instead of being torn.
func (f *fabric) runSync(ctx context.Context) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
		case <-ctx.Done():
			t := time.NewTimer(f.r.opts.ShutdownTimeout)
			defer t.Stop()
			select {
			case <-finished:
			case <-t.C:
				f.log.Warn("shutdown timeout reached, cancelling the running sync")
				cancel()
			}
		}
	}()

	select {
	case f.r.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-f.r.sem }()

	f.mu.Lock()
	// A wake with nothing pending is spent: the sync it asked for already
	// took its trigger (trigger records, then wakes; a sync may start in
	// between).
	if f.row().Suspended || (len(f.pending) == 0 && f.nextID == "") {
		f.mu.Unlock()
		return
	}
	triggers := f.pending
	f.pending = nil
	run := newSyncRun(f.nextID, f.spec.Name, triggers, f.r.opts.Now)
	f.nextID = ""
	run.onChange = f.r.storeSync
	// The row names the running sync before SyncNow can look again.
	f.r.storeSync(run.status())
	f.mu.Unlock()

	f.sync(runCtx, run)
}

// sync runs the fabric's steps for run. One deferred block, at the top,
// records the outcome (finish), so no early return or panic of a step
// skips the status, the events or the metrics.
func (f *fabric) sync(ctx context.Context, run *syncRun) {
	f.r.opts.Metrics.activeSyncs.Inc()
	var err error
	defer func() { f.finish(run, err, recover()) }()
	err = runSteps(ctx, &syncCtx{r: f.r, f: f, run: run}, f.steps())
}

// finish ends run with err (nil: it completed), or with the panic p of a
// step: it enters the final state, which writes the sync and the fabric's
// row, arranges the retry of a failure, and writes the events, metrics,
// log line and audit record.
func (f *fabric) finish(run *syncRun, err error, p any) {
	switch {
	case p != nil:
		err = fmt.Errorf("internal error (please report): %v\n%s", p, debug.Stack())
	case err == nil:
		if err = run.moveErr(); err == nil {
			err = run.transition(StateCompleted)
		}
		if err != nil {
			err = stateBug(err)
		}
		f.scheduleRetry(err)
	default:
		f.scheduleRetry(err)
	}
	if err != nil {
		run.fail(err)
	}
	st := run.status()
	f.record(st)
	f.r.storeOutcome(st)
	if f.r.opts.OnSyncEnd != nil {
		f.r.opts.OnSyncEnd(st)
	}
}

// scheduleRetry arranges the sync that follows one that ended with err. A
// failed sync is run again by the fabric itself, without waiting for the
// source to see a change (a git branch that did not move would never
// trigger it): a waiting failure after the delay it names (an open circuit:
// when its probe is due), a transient one after the backoff of the failures
// in a row (2 s, 4 s, … capped at the backoff's Max, 60 s by default). A
// stalled failure needs a human and waits for a trigger. Any other sync
// that starts meanwhile takes the retry's place; a success resets the count.
func (f *fabric) scheduleRetry(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.retry != nil {
		f.retry.Stop()
		f.retry = nil
	}
	if err == nil {
		f.failures = 0
		return
	}
	f.failures++
	var delay time.Duration
	switch resilience.ClassOf(err) {
	case resilience.ClassStalled:
		return
	case resilience.ClassWaiting:
		delay = resilience.AfterOf(err)
	}
	if delay <= 0 {
		delay = f.r.opts.Backoff.Delay(f.failures + 1)
	}
	n := f.failures
	f.log.Info("failed sync will be retried", "retry_in", delay.Round(time.Millisecond).String(), "failures_in_a_row", n)
	f.retry = time.AfterFunc(delay, func() {
		select {
		case <-f.quit:
		default:
			f.trigger(Trigger{Kind: "retry", Detail: fmt.Sprintf("after %d failed syncs in a row", n)})
		}
	})
}

// record writes the sync's outcome to metrics and the log.
func (f *fabric) record(st SyncStatus) {
	m := f.r.opts.Metrics
	m.activeSyncs.Dec()
	result := "success"
	if st.State != StateCompleted {
		result = "failure"
	}
	m.syncs.WithLabelValues(f.spec.Name, result).Inc()
	m.syncDuration.WithLabelValues(f.spec.Name).Observe(st.Duration.Seconds())
	if st.State == StateCompleted {
		m.lastSuccess.WithLabelValues(f.spec.Name).Set(float64(st.Finished.UnixNano()) / 1e9)
	}
	attrs := []any{
		"sync_id", st.ID, "state", st.State, "duration", st.Duration.Round(time.Millisecond).String(),
		"trigger", triggerKinds(st.Triggers), "files", st.Summary.Files, "created", st.Summary.Created,
		"updated", st.Summary.Updated, "unchanged", st.Summary.Unchanged, "unmanaged", st.Summary.Unmanaged,
		"conflicts", st.Summary.Conflicts, "errors", st.Summary.Errors,
	}
	switch {
	case st.State != StateCompleted:
		f.log.Error("sync failed", append(attrs, "err", st.Error, "remediation", st.Remediation)...)
	case st.Summary.Changed || st.Summary.Files > 0:
		f.log.Info("sync completed", attrs...)
	default:
		f.log.Debug("sync completed, nothing to do", attrs...)
	}
}

func triggerKinds(ts []Trigger) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ","
		}
		s += string(t.Kind)
	}
	return s
}
