package resilience

import (
	"math/rand/v2"
	"testing"
	"time"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestDelaySequence(t *testing.T) {
	b := DefaultBackoff()
	b.Rand = fixed(0) // no jitter drawn: the schedule itself
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w*time.Second {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
	for _, attempt := range []int{0, -3} {
		if got := b.Delay(attempt); got != time.Second {
			t.Errorf("Delay(%d) = %v, want the first delay, 1s", attempt, got)
		}
	}
	for _, attempt := range []int{64, 1000, 1 << 30} {
		if got := b.Delay(attempt); got != time.Minute {
			t.Errorf("Delay(%d) = %v, want the 60s cap (no overflow)", attempt, got)
		}
	}
}

func TestDelayZeroValueUsesTheDefaults(t *testing.T) {
	var b Backoff // no jitter either
	for i, w := range []time.Duration{1, 2, 4} {
		if got := b.Delay(i + 1); got != w*time.Second {
			t.Errorf("zero Backoff: Delay(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
}

func TestDelayJitterBounds(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		lowest float64 // as a fraction of the schedule's delay
	}{
		{"none", 0, 1},
		{"equal", 0.5, 0.5},
		{"full", 1, 0},
		{"clamped above 1", 7, 0},
		{"clamped below 0", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := DefaultBackoff()
			plain.Rand = fixed(0)
			b := DefaultBackoff()
			b.Jitter = tt.jitter
			// The extremes of Rand give the bounds exactly...
			for attempt := 1; attempt <= 8; attempt++ {
				d := plain.Delay(attempt)
				b.Rand = fixed(0)
				if got := b.Delay(attempt); got != d {
					t.Errorf("Delay(%d) with Rand 0 = %v, want the schedule's %v", attempt, got, d)
				}
				b.Rand = fixed(1)
				if got, want := b.Delay(attempt), time.Duration(float64(d)*tt.lowest); got != want {
					t.Errorf("Delay(%d) with Rand 1 = %v, want the lower bound %v", attempt, got, want)
				}
			}
			// ...and random draws stay within them.
			r := rand.New(rand.NewPCG(1, 2))
			b.Rand = r.Float64
			for i := range 1000 {
				attempt := 1 + i%10
				d := plain.Delay(attempt)
				lo := time.Duration(float64(d) * tt.lowest)
				if got := b.Delay(attempt); got < lo || got > d {
					t.Fatalf("Delay(%d) = %v, outside [%v, %v]", attempt, got, lo, d)
				}
			}
		})
	}
}

func TestDefaultBackoffIsTheSpec(t *testing.T) {
	b := DefaultBackoff()
	if b.Initial != time.Second || b.Max != time.Minute || b.Factor != 2 || b.Attempts != 3 || b.Jitter <= 0 {
		t.Errorf("DefaultBackoff() = %+v, want 1s, 60s cap, ×2, 3 attempts, with jitter", b)
	}
}
