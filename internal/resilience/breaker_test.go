package resilience

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// openFor is short so tests see the half-open probe; gobreaker reads the
// wall clock and cannot be given another.
const openFor = 200 * time.Millisecond

var errDown = errors.New("dial tcp 127.0.0.1:9: connection refused")

// changes records OnChange calls.
type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) record(target string, from, to BreakerState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, fmt.Sprintf("%s:%s->%s", target, from, to))
}

func (c *changes) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func newTestBreakers() (*Breakers, *changes) {
	c := &changes{}
	return NewBreakers(BreakerOptions{OpenFor: openFor, OnChange: c.record}), c
}

func fail(err error) func() error { return func() error { return err } }
func succeed() error              { return nil }

// waitState polls until target reaches want, for at most wait.
func waitState(t *testing.T, b *Breakers, target string, want BreakerState) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for b.State(target) != want {
		select {
		case <-deadline.C:
			t.Fatalf("%s stayed %s, never %s", target, b.State(target), want)
		case <-tick.C:
		}
	}
}

func TestBreakerOpensAfterExactlyFiveConsecutiveFailures(t *testing.T) {
	b, ch := newTestBreakers()
	const target = "git:https://git.example/o/r.git"
	for i := range 4 {
		if err := b.Do(target, fail(errDown)); !errors.Is(err, errDown) {
			t.Fatalf("failure %d: Do = %v, want fn's error unchanged", i+1, err)
		}
	}
	if s := b.State(target); s != BreakerClosed {
		t.Fatalf("after 4 failures: %s, want closed", s)
	}
	// A success resets the count: four more failures keep it closed.
	if err := b.Do(target, succeed); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_ = b.Do(target, fail(errDown))
	}
	if s := b.State(target); s != BreakerClosed {
		t.Fatalf("after success + 4 failures: %s, want closed", s)
	}
	_ = b.Do(target, fail(errDown))
	if s := b.State(target); s != BreakerOpen {
		t.Fatalf("after 5 consecutive failures: %s, want open", s)
	}
	if got, want := ch.list(), []string{target + ":closed->open"}; !slices.Equal(got, want) {
		t.Errorf("OnChange = %v, want %v", got, want)
	}
}

func TestBreakerRejectsWhileOpen(t *testing.T) {
	b := NewBreakers(BreakerOptions{OpenFor: time.Hour})
	const target = "sink:dc1/kubectl"
	for range 5 {
		_ = b.Do(target, fail(errDown))
	}
	ran := false
	err := b.Do(target, func() error { ran = true; return nil })
	if ran {
		t.Fatal("fn ran while the circuit is open")
	}
	if !errors.Is(err, ErrOpen) || !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("Do while open = %v, want ErrOpen wrapping gobreaker.ErrOpenState", err)
	}
	if ClassOf(err) != ClassWaiting {
		t.Errorf("ClassOf(open) = %v, want waiting", ClassOf(err))
	}
	if a := AfterOf(err); a <= 0 || a > time.Hour {
		t.Errorf("AfterOf(open) = %v, want the time left before the probe, in (0, 1h]", a)
	}
	if msg := err.Error(); !strings.Contains(msg, target) {
		t.Errorf("message %q does not name the target", msg)
	}
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	tests := []struct {
		name      string
		probe     func() error
		wantState BreakerState
	}{
		{"a successful probe closes it", succeed, BreakerClosed},
		{"a failed probe reopens it", fail(errDown), BreakerOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ch := newTestBreakers()
			const target = "git:file:///srv/git/fabric.git"
			for range 5 {
				_ = b.Do(target, fail(errDown))
			}
			waitState(t, b, target, BreakerHalfOpen)

			// One probe: while it runs, other calls are refused.
			started, release := make(chan struct{}), make(chan struct{})
			probeDone := make(chan error, 1)
			go func() {
				probeDone <- b.Do(target, func() error {
					close(started)
					<-release
					return tt.probe()
				})
			}()
			<-started
			ran := false
			if err := b.Do(target, func() error { ran = true; return nil }); ran || !errors.Is(err, ErrOpen) {
				t.Errorf("second call during the probe: ran %v, err %v; want refused with ErrOpen", ran, err)
			}
			close(release)
			<-probeDone

			if s := b.State(target); s != tt.wantState {
				t.Fatalf("after the probe: %s, want %s", s, tt.wantState)
			}
			want := []string{target + ":closed->open", target + ":open->half-open", target + ":half-open->" + string(tt.wantState)}
			if got := ch.list(); !slices.Equal(got, want) {
				t.Errorf("OnChange = %v, want %v", got, want)
			}
			if tt.wantState == BreakerOpen {
				// Reopened for a full OpenFor, then probed again.
				waitState(t, b, target, BreakerHalfOpen)
				if err := b.Do(target, succeed); err != nil {
					t.Fatal(err)
				}
				if s := b.State(target); s != BreakerClosed {
					t.Errorf("after a second, successful probe: %s, want closed", s)
				}
			}
		})
	}
}

func TestBreakerIgnoresWhatIsNotTheTargetsFault(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"stalled (bad credentials)", Stalled(errors.New("authentication required"), "fix auth.password_file")},
		{"waiting", Waiting(errors.New("rate limited"), time.Second)},
		{"context canceled", fmt.Errorf("fetch: %w", context.Canceled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ch := newTestBreakers()
			const target = "git:r"
			for range 10 {
				if err := b.Do(target, fail(tt.err)); !errors.Is(err, tt.err) {
					t.Fatalf("Do = %v, want fn's error", err)
				}
			}
			if s := b.State(target); s != BreakerClosed {
				t.Fatalf("after 10 of them: %s, want closed", s)
			}
			// Nor do they reset the count of real failures.
			for range 4 {
				_ = b.Do(target, fail(errDown))
			}
			_ = b.Do(target, fail(tt.err))
			_ = b.Do(target, fail(errDown))
			if s := b.State(target); s != BreakerOpen {
				t.Errorf("4 failures, %s, 1 failure: %s, want open", tt.name, s)
			}
			// And while half-open, one leaves the probe to the next call.
			waitState(t, b, target, BreakerHalfOpen)
			_ = b.Do(target, fail(tt.err))
			if s := b.State(target); s != BreakerHalfOpen {
				t.Errorf("half-open after a probe that ended in %s: %s, want still half-open", tt.name, s)
			}
			if err := b.Do(target, succeed); err != nil {
				t.Errorf("the next probe was refused: %v", err)
			}
			if len(ch.list()) != 3 {
				t.Errorf("OnChange = %v", ch.list())
			}
		})
	}
}

func TestBreakerDeadlineCountsAsFailure(t *testing.T) {
	b, _ := newTestBreakers()
	for range 5 {
		_ = b.Do("git:r", fail(fmt.Errorf("ls-remote: %w", context.DeadlineExceeded)))
	}
	if s := b.State("git:r"); s != BreakerOpen {
		t.Errorf("after 5 timeouts: %s, want open", s)
	}
}

func TestBreakerTargetsAreIndependent(t *testing.T) {
	b, _ := newTestBreakers()
	for range 5 {
		_ = b.Do("git:down", fail(errDown))
	}
	if err := b.Do("git:up", succeed); err != nil {
		t.Errorf("a healthy target was refused while another is open: %v", err)
	}
	if b.State("git:down") != BreakerOpen || b.State("git:up") != BreakerClosed {
		t.Errorf("states: down %s, up %s", b.State("git:down"), b.State("git:up"))
	}
	if s := b.State("never-used"); s != BreakerClosed {
		t.Errorf("unknown target: %s, want closed", s)
	}
}

func TestBreakerForget(t *testing.T) {
	b := NewBreakers(BreakerOptions{OpenFor: time.Hour})
	for range 5 {
		_ = b.Do("git:r", fail(errDown))
	}
	b.Forget("git:r")
	if s := b.State("git:r"); s != BreakerClosed {
		t.Errorf("after Forget: %s, want closed", s)
	}
	if err := b.Do("git:r", succeed); err != nil {
		t.Errorf("after Forget: %v", err)
	}
}

func TestBreakerFailuresOption(t *testing.T) {
	b := NewBreakers(BreakerOptions{Failures: 2, OpenFor: time.Hour})
	_ = b.Do("t", fail(errDown))
	if s := b.State("t"); s != BreakerClosed {
		t.Fatalf("after 1 of 2: %s", s)
	}
	_ = b.Do("t", fail(errDown))
	if s := b.State("t"); s != BreakerOpen {
		t.Errorf("after 2 of 2: %s, want open", s)
	}
}

// OnChange runs outside gobreaker's lock: it may ask the breaker for a state
// (a metric callback would) without deadlocking.
func TestBreakerOnChangeMayCallBack(t *testing.T) {
	var b *Breakers
	var seen []BreakerState
	b = NewBreakers(BreakerOptions{OpenFor: openFor, OnChange: func(target string, _, _ BreakerState) {
		seen = append(seen, b.State(target))
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			_ = b.Do("t", fail(errDown))
		}
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Do deadlocked with an OnChange that calls State")
	}
	if !slices.Equal(seen, []BreakerState{BreakerOpen}) {
		t.Errorf("states seen from OnChange = %v, want [open]", seen)
	}
}

// Many goroutines on a few targets (run with -race): OnChange reports each
// target's changes in order, every change starting where the previous one
// ended.
func TestBreakerConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	perTarget := map[string][]change{}
	b := NewBreakers(BreakerOptions{OpenFor: time.Millisecond, OnChange: func(target string, from, to BreakerState) {
		mu.Lock()
		defer mu.Unlock()
		perTarget[target] = append(perTarget[target], change{from, to})
	}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				target := fmt.Sprintf("t%d", (g+i)%3)
				if i%4 == 0 {
					_ = b.Do(target, succeed)
				} else {
					_ = b.Do(target, fail(errDown))
				}
				_ = b.State(target)
			}
		})
	}
	wg.Wait()
	opened := 0
	for target, cs := range perTarget {
		at := BreakerClosed
		for i, c := range cs {
			if c.from != at {
				t.Fatalf("%s: change %d is %s->%s, but the circuit was %s", target, i, c.from, c.to, at)
			}
			at = c.to
			if c.to == BreakerOpen {
				opened++
			}
		}
		if s := b.State(target); s != at && !(at == BreakerOpen && s == BreakerHalfOpen) {
			t.Errorf("%s: last reported %s, state now %s", target, at, s)
		}
	}
	if opened == 0 {
		t.Error("no circuit opened: the test did not exercise anything")
	}
}
