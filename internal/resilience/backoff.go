package resilience

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// The retry schedule of SPEC §4.
const (
	DefaultInitial  = time.Second
	DefaultMax      = 60 * time.Second
	DefaultFactor   = 2.0
	DefaultAttempts = 3
	// DefaultJitter is "equal jitter": each delay is drawn from [d/2, d],
	// so fabrics failing together spread out while a retry never comes
	// sooner than half the schedule.
	DefaultJitter = 0.5
)

// Backoff is an exponential retry schedule: Initial, then ×Factor per retry,
// capped at Max, with jitter. Zero fields take the defaults (1 s, 60 s, ×2,
// 3 attempts), except Jitter, where 0 means none.
type Backoff struct {
	// Initial is the delay before the first retry.
	Initial time.Duration
	// Max caps every delay.
	Max time.Duration
	// Factor multiplies the delay at each retry.
	Factor float64
	// Attempts is how many times Retry runs the function in all, the first
	// run included.
	Attempts int
	// Jitter is the fraction of each delay that is random, in [0, 1]: 0
	// is none, 0.5 "equal jitter" (a delay in [d/2, d]), 1 "full jitter"
	// (a delay in (0, d]).
	Jitter float64
	// Rand returns a number in [0, 1); nil uses math/rand/v2. Tests fix it.
	Rand func() float64
	// MaxWait, when positive, is the longest wait Retry spends on a
	// waiting error (an open circuit asks for up to a minute): one that
	// asks for more is returned at once, for the caller to run again later
	// without holding what it holds meanwhile (a sync slot). 0 waits.
	MaxWait time.Duration
}

// DefaultBackoff returns SPEC §4's schedule: 1 s, ×2, capped at 60 s, equal
// jitter, 3 attempts.
func DefaultBackoff() Backoff {
	return Backoff{
		Initial:  DefaultInitial,
		Max:      DefaultMax,
		Factor:   DefaultFactor,
		Attempts: DefaultAttempts,
		Jitter:   DefaultJitter,
	}
}

// withDefaults fills the zero fields.
func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultInitial
	}
	if b.Max <= 0 {
		b.Max = DefaultMax
	}
	if b.Factor <= 0 {
		b.Factor = DefaultFactor
	}
	if b.Attempts <= 0 {
		b.Attempts = DefaultAttempts
	}
	b.Jitter = min(max(b.Jitter, 0), 1)
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Delay returns the wait before retry number attempt (1 is the first retry):
// Initial×Factor^(attempt-1), capped at Max, less a random part of at most
// Jitter of it. An attempt below 1 counts as 1.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.withDefaults()
	attempt = max(attempt, 1)
	// In float64, so a large attempt saturates at Max instead of
	// overflowing.
	d := float64(b.Initial) * math.Pow(b.Factor, float64(attempt-1))
	if math.IsNaN(d) || d > float64(b.Max) {
		d = float64(b.Max)
	}
	if b.Jitter > 0 {
		r := min(max(b.Rand(), 0), 1)
		d -= d * b.Jitter * r
	}
	return max(time.Duration(d), 0)
}

// Retry runs fn until it succeeds, following the class of its error:
//   - transient (and unclassified) errors are retried up to b.Attempts runs in
//     all, waiting b.Delay(n) before retry n;
//   - a waiting error is retried once after its After (b.Delay(n) when it
//     gives none), and only when ctx lasts that long and, when b.MaxWait is
//     set, the wait is no longer than that; that retry counts as one of the
//     b.Attempts runs;
//   - a stalled error is returned at once.
//
// onRetry, when not nil, is called before each wait with the number of the
// coming retry, the wait and the error that caused it. Waits select on ctx:
// when it ends, Retry returns at once with the last error and ctx's. It
// returns nil on success, the stalled error as is, or the last error,
// saying how many runs were made.
func Retry(ctx context.Context, b Backoff, fn func(ctx context.Context) error, onRetry func(attempt int, delay time.Duration, err error)) error {
	b = b.withDefaults()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("not attempted: %w", err)
	}
	waited := false
	for run := 1; ; run++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return abandoned(err, cerr)
		}
		var delay time.Duration
		switch ClassOf(err) {
		case ClassStalled:
			return err
		case ClassWaiting:
			if waited || run >= b.Attempts {
				return exhausted(run, err)
			}
			waited = true
			delay = AfterOf(err)
			if delay <= 0 {
				delay = b.Delay(run)
			}
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
				return fmt.Errorf("%w (not retried: the retry would come after the deadline)", err)
			}
			if b.MaxWait > 0 && delay > b.MaxWait {
				return err
			}
		default:
			if run >= b.Attempts {
				return exhausted(run, err)
			}
			delay = b.Delay(run)
		}
		if onRetry != nil {
			onRetry(run, delay, err)
		}
		if cerr := sleep(ctx, delay); cerr != nil {
			return abandoned(err, cerr)
		}
	}
}

// sleep waits d or until ctx is done, whichever comes first, and returns
// ctx's error in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func exhausted(runs int, err error) error {
	if runs == 1 {
		return err
	}
	return fmt.Errorf("%w (gave up after %d attempts)", err, runs)
}

// abandoned keeps both the last failure (first, so ClassOf finds its class)
// and the context's end, so errors.Is(err, context.Canceled) holds.
func abandoned(err, ctxErr error) error {
	if errors.Is(err, ctxErr) {
		return err
	}
	return fmt.Errorf("%w (retries abandoned: %w)", err, ctxErr)
}
