package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/faultproxy"
)

// faultSegment is one stretch of a remote's fault schedule.
type faultSegment struct {
	Dur       time.Duration
	Fault     faultproxy.Fault
	Prob      float64 // per connection
	Delay     time.Duration
	Truncate  int64
	KeepAlive bool   // the git server keeps connections alive meanwhile
	Seed      uint64 // of the per-connection draws
}

// String describes the segment for the test's log.
func (s faultSegment) String() string {
	x := ""
	switch s.Fault {
	case faultproxy.Delay:
		x = " " + s.Delay.String()
	case faultproxy.Truncate:
		x = fmt.Sprintf(" after %d B", s.Truncate)
	}
	return fmt.Sprintf("%s %s%s p=%.1f keepalive=%t", s.Dur.Round(100*time.Millisecond), s.Fault, x, s.Prob, s.KeepAlive)
}

// faultPlan draws a remote's schedule for total: segments of 2 to 10 s, each
// one of the six faults at a per-connection probability, with keep-alive on
// or off. Two kinds of stretch are mixed in, 12 to 24 s each:
//   - storms: a fault on 60-80 % of the connections, keep-alive off, so
//     head checks still see pushes and start syncs whose attempts (each 3 to
//     5 requests) nearly all fail: two such syncs make the 5 consecutive
//     failures that open a circuit;
//   - outages: 100 % refused, reset, blackholed or answered 500.
//
// The first storm starts within the first 10 s, so a short run opens
// circuits early enough for their 60 s window to end soon after the faults.
func faultPlan(seed int64, fabric int, total time.Duration) []faultSegment {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(fabric)))
	faults := []faultproxy.Fault{faultproxy.Refuse, faultproxy.Reset, faultproxy.Delay, faultproxy.Truncate, faultproxy.Blackhole, faultproxy.HTTP500}
	hard := []faultproxy.Fault{faultproxy.Refuse, faultproxy.Reset, faultproxy.Blackhole, faultproxy.HTTP500}
	secs := func(lo, hi float64) time.Duration {
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(time.Second))
	}
	single := func() faultSegment {
		s := faultSegment{Dur: secs(2, 10), Fault: faults[rng.IntN(len(faults))], Prob: []float64{0.3, 0.5, 1}[rng.IntN(3)], KeepAlive: rng.IntN(2) == 0}
		s.Delay = []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}[rng.IntN(3)]
		s.Truncate = []int64{0, 200, 1000, 5000}[rng.IntN(4)]
		return s
	}
	stretch := func(storm bool) []faultSegment {
		var out []faultSegment
		for n := 2 + rng.IntN(2); n > 0; n-- {
			s := faultSegment{Dur: secs(6, 8), Prob: 1, Truncate: 200}
			if storm {
				s.Fault, s.Prob = []faultproxy.Fault{faultproxy.Refuse, faultproxy.Reset, faultproxy.HTTP500, faultproxy.Truncate}[rng.IntN(4)], 0.6+0.2*rng.Float64()
			} else {
				s.Fault = hard[rng.IntN(len(hard))]
			}
			out = append(out, s)
		}
		return out
	}
	var plan []faultSegment
	var at time.Duration
	add := func(ss ...faultSegment) {
		for _, s := range ss {
			if at >= total {
				return
			}
			s.Dur = min(s.Dur, total-at)
			s.Seed = rng.Uint64()
			plan = append(plan, s)
			at += s.Dur
		}
	}
	first := secs(0, 10)
	for first-at >= 2*time.Second {
		s := single()
		s.Dur = min(s.Dur, first-at)
		add(s)
	}
	add(stretch(true)...)
	for at < total {
		switch r := rng.Float64(); {
		case r < 0.15:
			add(stretch(true)...)
		case r < 0.25:
			add(stretch(false)...)
		default:
			add(single())
		}
	}
	return plan
}

// faultRunPlan applies plan to the fabric's proxy and git server, one
// segment after the other, and ends healthy, with keep-alive on, when the
// plan or ctx ends.
func faultRunPlan(ctx context.Context, f *faultFabric, plan []faultSegment) error {
	defer f.backend.keepAlive(true)
	defer func() { _ = f.proxy.SetFault(faultproxy.None, faultproxy.Options{}) }()
	for _, s := range plan {
		err := f.proxy.SetFault(s.Fault, faultproxy.Options{Delay: s.Delay, TruncateAfter: s.Truncate, Probability: s.Prob,
			Rand: rand.New(rand.NewPCG(s.Seed, 0)).Float64})
		if err != nil {
			return fmt.Errorf("%s: set %s: %w", f.name, s, err)
		}
		// After the fault is set: the connections opened next get it.
		f.backend.keepAlive(s.KeepAlive)
		timer := time.NewTimer(s.Dur)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
	return nil
}

// The plan is the seed's: the same seed gives the same schedule, covering
// the whole duration, with every fault, a storm within the first 20 s and
// a total outage somewhere in ten minutes.
func TestFaultPlanIsSeeded(t *testing.T) {
	const total = 10 * time.Minute
	a, b := faultPlan(42, 3, total), faultPlan(42, 3, total)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("the same seed gave two plans")
	}
	if fmt.Sprint(a) == fmt.Sprint(faultPlan(42, 4, total)) {
		t.Error("two fabrics got the same plan")
	}
	var sum time.Duration
	seen := map[faultproxy.Fault]bool{}
	storm, outage := false, false
	for i, s := range a {
		if s.Dur > 10*time.Second || s.Dur < 2*time.Second && i < len(a)-1 || s.Dur <= 0 {
			t.Errorf("segment %d, %s: want 2 to 10 s (the last one may be shorter)", i, s)
		}
		seen[s.Fault] = true
		storm = storm || (sum < 20*time.Second && !s.KeepAlive && s.Prob >= 0.6 && s.Prob < 1)
		outage = outage || s.Prob == 1 && s.Fault != faultproxy.Delay && s.Fault != faultproxy.Truncate
		sum += s.Dur
	}
	if sum != total || len(seen) != 6 || !storm || !outage {
		t.Errorf("plan covers %s of %s, faults %v, early storm %t, outage %t", sum, total, seen, storm, outage)
	}
	// Short plans, as CI runs them, all have a storm in their first 20 s.
	for i := range 200 {
		p := faultPlan(int64(i)*7919, i%faultFabrics, 40*time.Second)
		var at time.Duration
		ok := false
		for _, s := range p {
			ok = ok || (at < 20*time.Second && !s.KeepAlive && s.Prob >= 0.6 && s.Prob < 1)
			at += s.Dur
		}
		if !ok {
			t.Errorf("fabric %d: no storm in the first 20 s: %v", i, p)
		}
	}
}
