package dir

import (
	"testing"
	"time"
)

// TestBatchArm checks the debounce arithmetic: quiet period after each event,
// capped by the max delay counted from the window's first event.
func TestBatchArm(t *testing.T) {
	const d = 100 * time.Millisecond
	t0 := time.Unix(1_700_000_000, 0)
	steps := []struct {
		at   time.Duration // since t0
		want time.Duration
	}{
		{at: 0, want: d},
		{at: 50 * time.Millisecond, want: d},
		{at: 850 * time.Millisecond, want: d},
		{at: 950 * time.Millisecond, want: 50 * time.Millisecond},
		{at: 1000 * time.Millisecond, want: 0},
		{at: 3 * time.Second, want: 0},
	}
	var b batch
	for _, s := range steps {
		if got := b.arm(t0.Add(s.at), d, maxDelayFactor*d); got != s.want {
			t.Errorf("event at +%s: flush in %s, want %s", s.at, got, s.want)
		}
	}
	b = batch{}
	if got := b.arm(t0.Add(5*time.Second), d, maxDelayFactor*d); got != d {
		t.Errorf("new window: flush in %s, want %s", got, d)
	}
}

func TestBatchCandidatesAreBounded(t *testing.T) {
	var b batch
	for i := range maxCandidates + 10 {
		b.add(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(b.candidates) > maxCandidates || !b.tooMany {
		t.Errorf("%d candidates kept, tooMany=%v; want at most %d and tooMany", len(b.candidates), b.tooMany, maxCandidates)
	}
}
