package reconciler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/reconciler/contract"
	"github.com/fgdproject/fgd/sources/dir"
)

// vpcDoc is a valid v1beta1 VPC named name.
func vpcDoc(name string) string { return testdocs.VPC(name) }

type harness struct {
	t       testing.TB
	rec     *reconciler.Reconciler
	reg     *prometheus.Registry
	cancel  context.CancelFunc
	done    chan error
	watched bool
}

func newHarness(t testing.TB, opts reconciler.Options) *harness {
	t.Helper()
	registry, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	opts.Registry = registry
	opts.Metrics = reconciler.NewMetrics(reg)
	if opts.Store == nil {
		if opts.Store, err = state.New(); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := reconciler.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, rec: rec, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- rec.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil
	case <-time.After(30 * time.Second):
		h.t.Error("Run did not return within 30s of cancel")
	}
}

// dirSpec is a fabric over root watched by a real fsnotify watcher.
func dirSpec(name, root string) reconciler.FabricSpec {
	return reconciler.FabricSpec{
		Name: name, Root: root, Hash: name + root, Settle: 50 * time.Millisecond,
		NewSource: func(trigger func(reconciler.Trigger), _ func(error)) (reconciler.Source, error) {
			return dir.New(root, func(reason string) { trigger(reconciler.Trigger{Kind: contract.TriggerKind(reason)}) },
				dir.Options{Debounce: 50 * time.Millisecond, Rescan: time.Hour})
		},
	}
}

func (h *harness) apply(specs ...reconciler.FabricSpec) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.rec.Apply(ctx, specs); err != nil {
		h.t.Fatalf("Apply: %v", err)
	}
}

func (h *harness) fabric(name string) reconciler.FabricStatus {
	for _, f := range h.rec.Fabrics() {
		if f.Name == name {
			return f
		}
	}
	h.t.Fatalf("fabric %s not found", name)
	return reconciler.FabricStatus{}
}

// eventually polls cond for up to 2 minutes: a bound for a wedged daemon,
// not a performance assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestDroppedFileIsIngestedAndStatesAreRecorded(t *testing.T) {
	root := t.TempDir()
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(dirSpec("lab", root))
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })

	write(t, filepath.Join(root, "raw", "vpc.yaml"), vpcDoc("vpc-1"))
	eventually(t, "managed/vpcs/vpc-1.yaml", func() bool { return exists(filepath.Join(root, "managed/vpcs/vpc-1.yaml")) })
	// The drop may take more than one sync (a file younger than the settle
	// time waits for the next): find the one that created the resource.
	var created *state.Sync
	eventually(t, "the creating sync to be recorded", func() bool {
		syncs, _ := store.Syncs(nil, "lab", 20)
		for _, sy := range syncs {
			if sy.Done() && sy.Diff.Create == 1 {
				created = sy
				return true
			}
		}
		return false
	})
	var states []string
	for i, tr := range created.Transitions {
		states = append(states, string(tr.State))
		if i > 0 && tr.At.Before(created.Transitions[i-1].At) {
			t.Errorf("transition %d goes back in time", i)
		}
	}
	want := "pending,initializing,discovering,processing,completed"
	if got := strings.Join(states, ","); got != want {
		t.Errorf("transitions = %s, want %s", got, want)
	}
	eventually(t, "fgd_resources{kind=VPC} = 1", func() bool { return h.value("fgd_resources", `kind="VPC"`) == 1 })
}

// value sums the series of a metric whose labels contain the fragment.
func (h *harness) value(name, labels string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var parts []string
			for _, lp := range m.GetLabel() {
				parts = append(parts, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			if strings.Contains(strings.Join(parts, ","), labels) {
				sum += m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func TestTriggersDuringASyncCoalesceIntoOneFollowUp(t *testing.T) {
	root := t.TempDir()
	h := newHarness(t, reconciler.Options{})
	spec := reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"}
	h.apply(spec)
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	before := h.fabric("lab").Syncs

	// Hold the FGD's lock so the next sync stays in flight while 200
	// triggers arrive: they must collapse into exactly one follow-up.
	lock, err := fgd.Acquire(context.Background(), root, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sync to start", func() bool { return h.fabric("lab").Syncing })
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual", Detail: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the held sync and its follow-up", func() bool {
		f := h.fabric("lab")
		return !f.Syncing && f.Syncs-before >= 2
	})
	time.Sleep(300 * time.Millisecond) // room for a wrong third sync to show
	if got := h.fabric("lab").Syncs - before; got != 2 {
		t.Errorf("201 triggers during one sync ran %d syncs, want 2 (the sync and one follow-up)", got)
	}
	if err := h.rec.Trigger("nope", reconciler.Trigger{Kind: "manual"}); err == nil {
		t.Error("a trigger for an unknown fabric was accepted")
	}
}

func TestUnreadableFabricFailsWhileAnotherKeepsSyncing(t *testing.T) {
	good, bad := t.TempDir(), filepath.Join(t.TempDir(), "fgd")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, reconciler.Options{})
	h.apply(dirSpec("good", good), reconciler.FabricSpec{Name: "bad", Root: bad, Hash: "b"})
	eventually(t, "first syncs", func() bool { return h.fabric("good").Attempted && h.fabric("bad").Attempted })

	// The FGD becomes unusable. Tests run as root, where permission bits do
	// not stop reads, so the directory is replaced by a file instead.
	if err := os.RemoveAll(bad); err != nil {
		t.Fatal(err)
	}
	write(t, bad, "not a directory\n")
	if err := h.rec.Trigger("bad", reconciler.Trigger{Kind: "manual"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the bad fabric to fail", func() bool {
		f := h.fabric("bad")
		return f.Last != nil && f.Last.State == reconciler.StateFailed
	})
	last := h.fabric("bad").Last
	if !strings.Contains(last.Error, bad) || !strings.Contains(last.Error, "not a directory") || last.Remediation == "" {
		t.Errorf("failure = %q (remediation %q), want the path, the reason and a remediation", last.Error, last.Remediation)
	}

	write(t, filepath.Join(good, "raw", "vpc.yaml"), vpcDoc("vpc-2"))
	eventually(t, "the good fabric to keep syncing", func() bool { return exists(filepath.Join(good, "managed/vpcs/vpc-2.yaml")) })
	if got := h.value("fgd_syncs_total", `fabric="bad",result="failure"`); got < 1 {
		t.Errorf("fgd_syncs_total{bad,failure} = %v, want ≥ 1", got)
	}
}

func TestApplyAddsRemovesAndRestarts(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	h := newHarness(t, reconciler.Options{})
	h.apply(dirSpec("a", a))
	eventually(t, "a's first sync", func() bool { return h.fabric("a").Attempted })

	h.apply(dirSpec("a", a), dirSpec("b", b))
	write(t, filepath.Join(b, "raw", "x.yaml"), vpcDoc("vpc-b"))
	eventually(t, "b ingests", func() bool { return exists(filepath.Join(b, "managed/vpcs/vpc-b.yaml")) })

	h.apply(dirSpec("b", b))
	if n := len(h.rec.Fabrics()); n != 1 {
		t.Fatalf("%d fabrics after removing a, want 1", n)
	}
	write(t, filepath.Join(a, "raw", "y.yaml"), vpcDoc("vpc-a"))
	time.Sleep(300 * time.Millisecond)
	if exists(filepath.Join(a, "managed/vpcs/vpc-a.yaml")) {
		t.Error("a removed fabric still ingested a file")
	}

	changed := dirSpec("b", b)
	changed.Hash = "new"
	h.apply(changed)
	eventually(t, "restarted b's first sync", func() bool { return h.fabric("b").Attempted })
	if got := h.value("fgd_syncs_total", `fabric="a"`); got != 0 {
		t.Errorf("series of removed fabric a still exported (%v)", got)
	}
}

// On shutdown a running sync is drained, not torn: Run waits for it (up to
// ShutdownTimeout) and the sync completes.
func TestShutdownDrainsTheRunningSync(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		release bool
		want    reconciler.State
	}{
		{"finishes within the timeout", 30 * time.Second, true, reconciler.StateCompleted},
		{"cancelled after the timeout", 300 * time.Millisecond, false, reconciler.StateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			h := newHarness(t, reconciler.Options{ShutdownTimeout: tc.timeout})
			h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1"})
			eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
			lock, err := fgd.Acquire(context.Background(), root, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Release()
			write(t, filepath.Join(root, "raw", "vpc.yaml"), vpcDoc("vpc-1"))
			if err := h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual"}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the sync to start", func() bool { return h.fabric("lab").Syncing })
			h.cancel()
			select {
			case <-h.done:
				t.Fatal("Run returned while a sync was in flight")
			case <-time.After(150 * time.Millisecond):
			}
			if tc.release {
				if err := lock.Release(); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case err := <-h.done:
				if err != nil {
					t.Fatal(err)
				}
				h.done <- nil
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after the sync ended")
			}
			var got reconciler.State
			for _, f := range h.rec.Fabrics() {
				if f.Name == "lab" && f.Last != nil {
					got = f.Last.State
				}
			}
			if got != tc.want {
				t.Errorf("the in-flight sync ended %q, want %q", got, tc.want)
			}
			if tc.want == reconciler.StateCompleted && !exists(filepath.Join(root, "managed/vpcs/vpc-1.yaml")) {
				t.Error("the drained sync did not finish its work")
			}
		})
	}
}
