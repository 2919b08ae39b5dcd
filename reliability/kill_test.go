package reliability

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// killStats counts where the kills landed.
type killStats struct {
	kills    int
	inFlight int            // fgd_active_syncs > 0 right before the kill
	starting int            // the daemon did not answer /metrics yet
	first    int            // some fabric had not completed its first sync yet
	settled  int            // cycles whose wait began after the first syncs
	unpushed int            // fgd had committed to a clone and not pushed yet
	temps    int            // temp files the kills left
	synced   map[string]int // syncs completed, by fabric
	// Where a cycle's time goes: giving inputs, the daemon's life, checks.
	dropping, living, checking time.Duration
}

// TestKill9Soak is the kill -9 soak: the daemon SIGKILLed at random
// moments, with syncs in flight over two dir and two git fabrics, for 100
// (short) or 300 (full) cycles. After each kill nothing is lost, torn or
// duplicated, and what a kill left (temp files) is gone once fgd works
// there again; a last, undisturbed start converges and stops cleanly; and
// the end state is byte for byte that of one undisturbed run fed the same
// inputs.
func TestKill9Soak(t *testing.T) {
	cycles := 100
	if reliabilityScale(t) == reliabilityFull {
		cycles = 300
	}
	gittest.RequireGit(t)
	seed := reliabilitySeedFor(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b696c6c2d39))
	bin := daemontest.Build(t)
	base := t.TempDir()

	initial := map[string][]killInput{}
	for _, name := range []string{"d1", "d2", "g1", "g2"} {
		for i := range 3 {
			initial[name] = append(initial[name], killNewInput(rng, name, 0, i))
		}
	}
	w := killNewWorld(t, filepath.Join(base, "soak"), initial)
	st := killStats{synced: map[string]int{}}
	began := time.Now()
	for c := 1; c <= cycles; c++ {
		if !t.Run(fmt.Sprintf("cycle-%03d", c), func(t *testing.T) { killCycle(t, w, bin, rng, c, &st) }) {
			t.Fatalf("cycle %d failed: replay with -reliability.seed=%d", c, seed)
		}
	}
	soak := time.Since(began)
	t.Logf("seed %d: %d cycles in %s; %d kills (%d of them 0–1 s after the first syncs, the others 0–1 s after the start): %d with a sync in flight (%.0f%%), %d before some fabric's first sync completed, %d between a git commit and the end of its push, %d before /metrics answered; the kills left %d temp files (each checked gone once its fabric synced again)",
		seed, cycles, soak.Round(time.Millisecond), st.kills, st.settled, st.inFlight, 100*float64(st.inFlight)/float64(st.kills), st.first, st.unpushed, st.starting, st.temps)
	t.Logf("syncs completed between start and kill, by fabric: %v", st.synced)
	t.Logf("time: %s giving inputs, starting (and waiting for the first syncs), %s with the daemon running (inputs given meanwhile included), %s checking",
		st.dropping.Round(time.Millisecond), st.living.Round(time.Millisecond), st.checking.Round(time.Millisecond))

	// A last start without a kill converges and stops cleanly, leaving
	// every invariant true and no temp file anywhere.
	t.Run("converge", func(t *testing.T) {
		d := w.start(t, bin)
		w.converge(t, d, 2*time.Minute)
		if err := d.Stop(30 * time.Second); err != nil {
			t.Fatalf("SIGTERM after convergence: %v (want exit 0)", err)
		}
		problems, _, err := w.check(killCompleted(d.Log()), cycles+1)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("after the undisturbed run: %s", p)
		}
		temps, err := w.findTemps()
		if err != nil {
			t.Fatal(err)
		}
		for p := range temps {
			t.Errorf("temp file %s left after the undisturbed run (first seen after the kill of cycle %d)", p, w.temps[p])
		}
	})
	if t.Failed() {
		t.Fatalf("replay with -reliability.seed=%d", seed)
	}

	// The undisturbed reference: every input given at once to fresh
	// copies, one start, converge, stop; then compare.
	all := map[string][]killInput{}
	for _, f := range w.fabrics {
		all[f.name] = f.inputs
	}
	ref := killNewWorld(t, filepath.Join(base, "reference"), all)
	refBegan := time.Now()
	t.Run("reference", func(t *testing.T) {
		d := ref.start(t, bin)
		ref.converge(t, d, 2*time.Minute)
		if err := d.Stop(30 * time.Second); err != nil {
			t.Fatalf("SIGTERM of the reference run: %v", err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	for i, f := range w.fabrics {
		rf := ref.fabrics[i]
		got, err := w.fgdFiles(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.fgdFiles(rf)
		if err != nil {
			t.Fatal(err)
		}
		if diff := killDiff(killNormalize(want), killNormalize(got)); len(diff) > 0 {
			t.Errorf("fabric %s: the FGD differs from the undisturbed run's (seed %d):\n%s", f.name, seed, killFirst(diff, 40))
		}
		gotPub, err := killReadTree(filepath.Join(f.pub, "current"))
		if err != nil {
			t.Fatal(err)
		}
		wantPub, err := killReadTree(filepath.Join(rf.pub, "current"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := killDiff(killNormalize(wantPub), killNormalize(gotPub)); len(diff) > 0 {
			t.Errorf("fabric %s: the published tree differs from the undisturbed run's (seed %d):\n%s", f.name, seed, killFirst(diff, 40))
		}
		msg := fmt.Sprintf("fabric %s: %d inputs, %d files in the FGD, %d published", f.name, len(f.inputs), len(got), len(gotPub))
		if f.remote != nil {
			commits, err := f.history()
			if err != nil {
				t.Fatal(err)
			}
			_, own := killCheckHistory(commits, killAuthor, f.path, len(f.pushes)+1, f.pushes)
			msg += fmt.Sprintf("; %d commits of fgd for %d pushes of inputs", own, len(f.pushes))
		}
		t.Log(msg)
	}
	t.Logf("reference run took %s", time.Since(refBegan).Round(time.Millisecond))

	// Kills that never met a sync would not test what this claims to.
	if share := float64(st.inFlight) / float64(st.kills); share < 0.2 {
		t.Errorf("only %d of %d kills (%.0f%%) landed with a sync in flight; want at least 20%%", st.inFlight, st.kills, 100*share)
	}
}

// killCycle is one cycle: inputs before the start, the daemon started,
// more inputs while it runs (git fabrics woken by webhook), SIGKILL at a
// random instant 0–1000 ms after the start (or, one cycle in five, after
// the first syncs), then every invariant checked on disk.
func killCycle(t *testing.T, w *killWorld, bin string, rng *rand.Rand, c int, st *killStats) {
	// Every random choice is drawn first, so a seed replays the same
	// inputs and kill instants whatever the timing.
	before := map[*killFabric][]killInput{}
	during := map[*killFabric][]killInput{}
	for _, f := range w.fabrics {
		n := 1 + rng.IntN(3)
		for i := range n {
			before[f] = append(before[f], killNewInput(rng, f.name, c, i))
		}
		for i := range rng.IntN(3) {
			during[f] = append(during[f], killNewInput(rng, f.name, c, n+i))
		}
	}
	wait := time.Duration(rng.IntN(1001)) * time.Millisecond
	dropAt := time.Duration(rng.Int64N(int64(wait) + 1))
	// In one cycle of five the wait starts once every fabric has had its
	// first sync (/readyz): the kill then lands on the syncs of the inputs
	// given meanwhile, and what earlier kills left undone never piles up
	// past what a git fabric's sync does within a second.
	settled := rng.IntN(5) == 0

	t0 := time.Now()
	for _, f := range w.fabrics {
		w.drop(t, f, before[f])
	}
	d := w.start(t, bin)
	if settled {
		d.WaitFor("every fabric's first sync (/readyz)", 2*time.Minute, func() bool { code, _ := d.Get("/readyz"); return code == 200 })
		st.settled++
	}
	started := time.Now()
	st.dropping += started.Sub(t0)
	<-time.After(dropAt)
	for _, f := range w.fabrics {
		w.drop(t, f, during[f])
		if f.remote != nil && len(during[f]) > 0 {
			w.wake(d, f)
		}
	}
	<-time.After(wait - time.Since(started))
	active := d.Metric("fgd_active_syncs")
	d.Kill()
	t1 := time.Now()
	st.living += t1.Sub(started)
	defer func() { st.checking += time.Since(t1) }()
	st.kills++
	switch {
	case active < 0:
		st.starting++
	case active > 0:
		st.inFlight++
	}

	completed := killCompleted(d.Log())
	if killUnpushed(d.Log()) {
		st.unpushed++
	}
	for _, f := range w.fabrics {
		st.synced[f.name] += completed[f.name]
	}
	for _, f := range w.fabrics {
		if completed[f.name] == 0 {
			st.first++
			break
		}
	}
	problems, fresh, err := w.check(completed, c)
	if err != nil {
		t.Fatal(err)
	}
	st.temps += fresh
	for _, p := range problems {
		t.Errorf("cycle %d (kill after %s, fgd_active_syncs %v): %s", c, wait, active, p)
	}
}
