package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The circuit breaker settings of SPEC §4.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 60 * time.Second
)

// ErrOpen is returned (wrapped, naming the target) by Breakers.Do while a
// target's circuit is open, or half-open with its one probe under way. It
// wraps gobreaker.ErrOpenState.
var ErrOpen = fmt.Errorf("%w", gobreaker.ErrOpenState)

// BreakerState is a circuit's state as logs, metrics and the API show it.
type BreakerState string

// The states of a circuit.
const (
	BreakerClosed   BreakerState = "closed"
	BreakerHalfOpen BreakerState = "half-open"
	BreakerOpen     BreakerState = "open"
)

// BreakerOptions configure Breakers. Zero fields take SPEC §4's defaults.
type BreakerOptions struct {
	// Failures is how many consecutive failures open a circuit (5).
	Failures uint32
	// OpenFor is how long a circuit stays open before its half-open probe
	// (60 s). gobreaker reads the wall clock; tests use a short OpenFor.
	OpenFor time.Duration
	// OnChange, when not nil, is told every state change, in order per
	// target, outside the breaker's locks (it may call State). The change
	// from open to half-open is noticed lazily, by the first Do or State
	// after OpenFor.
	OnChange func(target string, from, to BreakerState)
}

// Breakers is a set of circuit breakers keyed by target name, such as
// "git:<remote>" or "sink:<fabric>/<name>" (names appear in logs and
// metrics: never put credentials in them). A failing target never affects
// another. The zero value is not usable: call NewBreakers.
//
// What counts as a failure of the target: an error of ClassTransient,
// including unclassified errors and context.DeadlineExceeded (a timed-out
// network operation is what a down remote looks like). What does not count,
// neither as a failure nor as a success: ClassStalled errors (bad
// credentials or bad configuration say nothing about whether the remote is
// up, and must not open a circuit that would hide the real message),
// ClassWaiting errors (the remote answered and named a time to come back),
// and context.Canceled (fgd stopping or the sync being abandoned).
type Breakers struct {
	opts BreakerOptions

	mu sync.Mutex
	m  map[string]*breaker
}

// breaker is one target's circuit and the state changes not yet reported.
type breaker struct {
	cb       *gobreaker.CircuitBreaker[struct{}]
	openedAt atomic.Int64 // unix nanoseconds of the last change to open

	mu      sync.Mutex
	pending []change
	firing  bool
}

type change struct{ from, to BreakerState }

// NewBreakers returns an empty set; each target's breaker is made on its
// first use.
func NewBreakers(opts BreakerOptions) *Breakers {
	if opts.Failures == 0 {
		opts.Failures = DefaultBreakerFailures
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = DefaultBreakerOpenFor
	}
	return &Breakers{opts: opts, m: map[string]*breaker{}}
}

// get returns target's breaker, making it on first use.
func (b *Breakers) get(target string) *breaker {
	b.mu.Lock()
	defer b.mu.Unlock()
	if br, ok := b.m[target]; ok {
		return br
	}
	br := &breaker{}
	failures := b.opts.Failures
	br.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        target,
		MaxRequests: 1, // one half-open probe
		Timeout:     b.opts.OpenFor,
		// Interval 0: consecutive failures are never forgotten by time,
		// only by a success.
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsExcluded:  notTargetsFault,
		// Called with gobreaker's lock held: only record here; flush
		// reports it once the lock is released.
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				br.openedAt.Store(time.Now().UnixNano())
			}
			br.mu.Lock()
			br.pending = append(br.pending, change{stateOf(from), stateOf(to)})
			br.mu.Unlock()
		},
	})
	b.m[target] = br
	return br
}

// notTargetsFault reports the errors that say nothing about the target's
// health (see Breakers).
func notTargetsFault(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true
	}
	c := ClassOf(err)
	return c == ClassStalled || c == ClassWaiting
}

// Do runs fn through target's breaker and returns fn's error unchanged. While
// the circuit is open (or half-open with its probe under way) fn is not run
// and Do returns a waiting error wrapping ErrOpen, whose After is the time
// left before the probe.
func (b *Breakers) Do(target string, fn func() error) error {
	br := b.get(target)
	ran := false
	_, err := br.cb.Execute(func() (struct{}, error) {
		ran = true
		return struct{}{}, fn()
	})
	b.flush(target, br)
	if err == nil || ran {
		return err
	}
	// gobreaker refused: open, or half-open with the probe taken.
	if errors.Is(err, gobreaker.ErrTooManyRequests) {
		return Waiting(fmt.Errorf("%s: %w: a half-open probe is under way: %w", target, ErrOpen, err), 0)
	}
	opened := time.Unix(0, br.openedAt.Load())
	after := max(b.opts.OpenFor-time.Since(opened), 0)
	return Waiting(fmt.Errorf("%s: %w after repeated failures; not calling it until the next probe", target, ErrOpen), after)
}

// State returns target's circuit state; a target never used is closed.
func (b *Breakers) State(target string) BreakerState {
	b.mu.Lock()
	br, ok := b.m[target]
	b.mu.Unlock()
	if !ok {
		return BreakerClosed
	}
	s := br.cb.State() // may notice open → half-open
	b.flush(target, br)
	return stateOf(s)
}

// Forget drops target's breaker, closing its circuit: for a target removed
// from the configuration, or one whose configuration changed so that its
// past failures say nothing any more. OnChange is not called: the caller
// removes the target's metric series.
func (b *Breakers) Forget(target string) {
	b.mu.Lock()
	delete(b.m, target)
	b.mu.Unlock()
}

// flush reports br's pending changes to OnChange, in order, one goroutine at
// a time; a flush started from inside OnChange leaves the work to the one
// already running, so OnChange may call State without deadlocking.
func (b *Breakers) flush(target string, br *breaker) {
	br.mu.Lock()
	if br.firing {
		br.mu.Unlock()
		return
	}
	br.firing = true
	br.mu.Unlock()
	finished := false
	// If OnChange panics, the next flush must still run.
	defer func() {
		if !finished {
			br.mu.Lock()
			br.firing = false
			br.mu.Unlock()
		}
	}()
	for {
		br.mu.Lock()
		changes := br.pending
		br.pending = nil
		if len(changes) == 0 {
			// In the same critical section as the emptiness check, so
			// a change recorded after it is flushed by its own caller.
			br.firing = false
			finished = true
			br.mu.Unlock()
			return
		}
		br.mu.Unlock()
		if b.opts.OnChange != nil {
			for _, c := range changes {
				b.opts.OnChange(target, c.from, c.to)
			}
		}
	}
}

func stateOf(s gobreaker.State) BreakerState {
	switch s {
	case gobreaker.StateOpen:
		return BreakerOpen
	case gobreaker.StateHalfOpen:
		return BreakerHalfOpen
	}
	return BreakerClosed
}
