package resilience

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// wait bounds anything expected to happen "soon"; generous on purpose.
const wait = 20 * time.Second

// quick is a schedule of millisecond delays, so tests run fast and still
// wait for real.
func quick(attempts int) Backoff {
	return Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond, Factor: 2, Attempts: attempts, Rand: fixed(0)}
}

type retryCall struct {
	attempt int
	delay   time.Duration
	err     error
}

// script returns an fn that answers the given errors in order (nil once
// they run out), and counts its runs.
func script(errs ...error) (fn func(context.Context) error, runs *int) {
	runs = new(int)
	return func(context.Context) error {
		*runs++
		if *runs <= len(errs) {
			return errs[*runs-1]
		}
		return nil
	}, runs
}

func TestRetry(t *testing.T) {
	boom := errors.New("connection refused")
	bad := Stalled(errors.New("authentication required"), "check auth.password_file")
	slow := Waiting(errors.New("rate limited"), 3*time.Millisecond)
	tests := []struct {
		name      string
		backoff   Backoff
		errs      []error
		wantErr   error // errors.Is; nil wants success
		wantRuns  int
		wantCalls []retryCall // onRetry's arguments (err compared with errors.Is)
		wantMsg   string
	}{
		{name: "success at once", backoff: quick(3), wantRuns: 1},
		{name: "transient then success", backoff: quick(3), errs: []error{boom},
			wantRuns: 2, wantCalls: []retryCall{{1, time.Millisecond, boom}}},
		{name: "transient until the attempts run out", backoff: quick(3), errs: []error{boom, boom, boom, boom},
			wantErr: boom, wantRuns: 3, wantMsg: "gave up after 3 attempts",
			wantCalls: []retryCall{{1, time.Millisecond, boom}, {2, 2 * time.Millisecond, boom}}},
		{name: "more attempts follow the schedule and its cap", backoff: quick(5), errs: []error{boom, boom, boom, boom, boom},
			wantErr: boom, wantRuns: 5,
			wantCalls: []retryCall{{1, time.Millisecond, boom}, {2, 2 * time.Millisecond, boom}, {3, 4 * time.Millisecond, boom}, {4, 4 * time.Millisecond, boom}}},
		{name: "one attempt: no retry", backoff: quick(1), errs: []error{boom}, wantErr: boom, wantRuns: 1},
		{name: "stalled stops at once", backoff: quick(3), errs: []error{bad}, wantErr: bad, wantRuns: 1},
		{name: "stalled after a transient", backoff: quick(3), errs: []error{boom, bad}, wantErr: bad, wantRuns: 2,
			wantCalls: []retryCall{{1, time.Millisecond, boom}}},
		{name: "waiting waits After then retries", backoff: quick(3), errs: []error{slow},
			wantRuns: 2, wantCalls: []retryCall{{1, 3 * time.Millisecond, slow}}},
		{name: "waiting is retried once only", backoff: quick(5), errs: []error{slow, slow}, wantErr: slow, wantRuns: 2,
			wantCalls: []retryCall{{1, 3 * time.Millisecond, slow}}},
		{name: "waiting without After uses the schedule", backoff: quick(3), errs: []error{boom, Waiting(boom, 0)},
			wantRuns: 3, wantCalls: []retryCall{{1, time.Millisecond, boom}, {2, 2 * time.Millisecond, boom}}},
		{name: "waiting counts as an attempt", backoff: quick(2), errs: []error{boom, slow}, wantErr: slow, wantRuns: 2,
			wantCalls: []retryCall{{1, time.Millisecond, boom}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, runs := script(tt.errs...)
			var calls []retryCall
			err := Retry(t.Context(), tt.backoff, fn, func(a int, d time.Duration, err error) {
				calls = append(calls, retryCall{a, d, err})
			})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("Retry = %v, want success", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Retry = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && ClassOf(err) != ClassOf(tt.wantErr) {
				t.Errorf("ClassOf(Retry's error) = %v, want %v: the class must survive", ClassOf(err), ClassOf(tt.wantErr))
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Retry = %q, want it to say %q", err, tt.wantMsg)
			}
			if *runs != tt.wantRuns {
				t.Errorf("fn ran %d times, want %d", *runs, tt.wantRuns)
			}
			if len(calls) != len(tt.wantCalls) {
				t.Fatalf("onRetry calls = %v, want %v", calls, tt.wantCalls)
			}
			for i, c := range calls {
				w := tt.wantCalls[i]
				if c.attempt != w.attempt || c.delay != w.delay || !errors.Is(c.err, w.err) {
					t.Errorf("onRetry call %d = %+v, want %+v", i, c, w)
				}
			}
		})
	}
}

func TestRetryWaitingWaitsForReal(t *testing.T) {
	const after = 50 * time.Millisecond
	fn, runs := script(Waiting(errors.New("rate limited"), after))
	start := time.Now()
	if err := Retry(t.Context(), quick(3), fn, nil); err != nil {
		t.Fatal(err)
	}
	// A lower bound only: the timer cannot fire early.
	if elapsed := time.Since(start); elapsed < after {
		t.Errorf("Retry returned after %v, before the %v the waiting error asked for", elapsed, after)
	}
	if *runs != 2 {
		t.Errorf("fn ran %d times, want 2", *runs)
	}
}

func TestRetryWaitingBeyondTheDeadlineIsNotWaited(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	slow := Waiting(errors.New("rate limited"), 2*time.Hour)
	fn, runs := script(slow)
	done := make(chan error, 1)
	go func() { done <- Retry(ctx, quick(3), fn, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, slow) || ClassOf(err) != ClassWaiting {
			t.Errorf("Retry = %v, want the waiting error back", err)
		}
	case <-time.After(wait):
		t.Fatal("Retry waited for a retry that would come after its deadline")
	}
	if *runs != 1 {
		t.Errorf("fn ran %d times, want 1", *runs)
	}
}

// A wait longer than MaxWait is left to the caller: the waiting error comes
// back at once, unwrapped, with its After, and fn ran once.
func TestRetryWaitLongerThanMaxWaitIsReturned(t *testing.T) {
	long := Waiting(errors.New("circuit open"), time.Hour)
	b := quick(3)
	b.MaxWait = time.Second
	fn, runs := script(long)
	done := make(chan error, 1)
	go func() { done <- Retry(t.Context(), b, fn, nil) }()
	select {
	case err := <-done:
		if err != long || AfterOf(err) != time.Hour {
			t.Errorf("Retry = %v, want the waiting error itself", err)
		}
	case <-time.After(wait):
		t.Fatal("Retry waited longer than MaxWait")
	}
	if *runs != 1 {
		t.Errorf("fn ran %d times, want 1", *runs)
	}
	// A short wait is still waited.
	fn, runs = script(Waiting(errors.New("rate limited"), time.Millisecond))
	if err := Retry(t.Context(), b, fn, nil); err != nil || *runs != 2 {
		t.Errorf("Retry = %v after %d runs, want success after 2", err, *runs)
	}
}

func TestRetryHonorsCancellation(t *testing.T) {
	boom := errors.New("connection refused")
	long := Backoff{Initial: time.Hour, Max: time.Hour, Attempts: 5}
	t.Run("during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		fn, runs := script(boom, boom, boom)
		done := make(chan error, 1)
		go func() {
			// Cancel once Retry is about to wait an hour.
			done <- Retry(ctx, long, fn, func(int, time.Duration, error) { cancel() })
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || !errors.Is(err, boom) {
				t.Errorf("Retry = %v, want both the last failure and context.Canceled", err)
			}
		case <-time.After(wait):
			t.Fatal("Retry did not return promptly after cancellation (it would wait an hour)")
		}
		if *runs != 1 {
			t.Errorf("fn ran %d times, want 1", *runs)
		}
	})
	t.Run("before the first run", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		fn, runs := script()
		if err := Retry(ctx, long, fn, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Retry = %v, want context.Canceled", err)
		}
		if *runs != 0 {
			t.Errorf("fn ran %d times on a cancelled context", *runs)
		}
	})
	t.Run("fn fails because of the cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		runs := 0
		err := Retry(ctx, long, func(ctx context.Context) error {
			runs++
			cancel()
			return ctx.Err()
		}, nil)
		if !errors.Is(err, context.Canceled) || runs != 1 {
			t.Errorf("Retry = %v after %d runs, want context.Canceled after 1", err, runs)
		}
	})
}
