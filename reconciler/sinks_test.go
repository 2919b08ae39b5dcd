package reconciler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sinks/directory"
	execsink "github.com/fgdproject/fgd/sinks/exec"
)

// fastRetries keeps the SPEC's schedule shape with test-sized delays.
var fastRetries = resilience.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2, Attempts: 3}

func newStore(t *testing.T) *state.Store {
	t.Helper()
	s, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// execSink runs sh script with the manifests on stdin.
func execSink(t *testing.T, name, script string) reconciler.SinkSpec {
	t.Helper()
	r, err := execsink.New(execsink.Options{Command: []string{"sh", "-c", script}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return reconciler.SinkSpec{Name: name, Sink: execsink.NewSink(r)}
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// An exec sink whose command fails twice then succeeds: two backed-off
// retries, then success, visible in the sync's record.
func TestExecSinkRetriesThenSucceeds(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	calls := filepath.Join(work, "calls")
	got := filepath.Join(work, "stdin")
	script := fmt.Sprintf(`echo x >> %[1]s; n=$(wc -l < %[1]s); if [ "$n" -le 2 ]; then echo "boom $n" >&2; exit 3; fi; cat > %[2]s`, calls, got)
	write(t, filepath.Join(root, "raw", "vpcs.yaml"), vpcDoc("vpc-1")+"---\n"+vpcDoc("vpc-2"))

	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store, StateDir: t.TempDir(), Backoff: fastRetries})
	spec := reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", script)}}
	h.apply(spec)
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })

	last := h.fabric("lab").Last
	if last.State != reconciler.StateCompleted || len(last.Sinks) != 1 {
		t.Fatalf("sync %s with sinks %+v, want completed with one sink", last.State, last.Sinks)
	}
	if s := last.Sinks[0]; s.Attempts != 3 || s.Status != "applied" || s.Applied != 2 {
		t.Errorf("sink result %+v, want 3 attempts, applied 2", s)
	}
	if n := countLines(calls); n != 3 {
		t.Errorf("command ran %d times, want 3", n)
	}
	stdin, _ := os.ReadFile(got)
	if !strings.Contains(string(stdin), "name: vpc-1") || !strings.Contains(string(stdin), "name: vpc-2") {
		t.Errorf("the command's stdin lacks the manifests:\n%s", stdin)
	}
	sy, _ := store.Sync(nil, last.ID)
	if sy == nil || len(sy.Sinks) != 1 || sy.Sinks[0].Attempts != 3 {
		t.Errorf("store sync record %+v, want the sink's 3 attempts", sy)
	}
	var states []string
	for _, tr := range last.Transitions {
		states = append(states, string(tr.State))
	}
	if !strings.Contains(strings.Join(states, ","), "reconciling") {
		t.Errorf("transitions %v lack reconciling", states)
	}
}

// A command that always fails opens its sink's circuit; another fabric keeps
// syncing; a restart does not re-run a command for what it already applied.
func TestExecSinkCircuitAndRestart(t *testing.T) {
	bad, good, work, stateDir := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	calls := filepath.Join(work, "good-calls")
	write(t, filepath.Join(bad, "raw", "a.yaml"), vpcDoc("vpc-a"))
	write(t, filepath.Join(good, "raw", "b.yaml"), vpcDoc("vpc-b"))

	store := newStore(t)
	var opened []string
	h := newHarness(t, reconciler.Options{Store: store, StateDir: stateDir, Backoff: fastRetries,
		Breakers: resilience.BreakerOptions{OpenFor: time.Hour, OnChange: func(target string, _, to resilience.BreakerState) {
			if to == resilience.BreakerOpen {
				opened = append(opened, target)
			}
		}}})
	goodSpec := reconciler.FabricSpec{Name: "good", Root: good, Hash: "g",
		Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", "cat >/dev/null; echo x >> "+calls)}}
	badSpec := reconciler.FabricSpec{Name: "bad", Root: bad, Hash: "b",
		Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", "cat >/dev/null; echo nope >&2; exit 1")}}
	h.apply(goodSpec, badSpec)
	eventually(t, "first syncs", func() bool { return h.fabric("good").Attempted && h.fabric("bad").Attempted })
	// 3 attempts per sync; a second sync's attempts open the circuit at 5.
	_ = h.rec.Trigger("bad", reconciler.Trigger{Kind: "manual"})
	eventually(t, "the bad sink's circuit to open", func() bool {
		return h.rec.CircuitState("sink:bad/exec-0") == resilience.BreakerOpen
	})
	if h.fabric("bad").Last.State != reconciler.StateFailed {
		t.Error("a fabric whose sink always fails did not fail its sync")
	}
	eventually(t, "a circuit_opened event for the bad fabric", func() bool {
		evs, _ := store.Events(nil, 0, 1000)
		for _, e := range evs {
			if e.Type == state.EventCircuitOpened && e.Fabric == "bad" && e.Data["target"] == "sink:bad/exec-0" {
				return true
			}
		}
		return false
	})
	eventually(t, "the store to show the bad sink's circuit open", func() bool {
		f, _ := store.Fabric(nil, "bad")
		return f != nil && f.Circuits["sink:bad/exec-0"] == "open"
	})
	if f, _ := store.Fabric(nil, "good"); f == nil || f.Circuits["sink:good/exec-0"] != "closed" || len(f.Circuits) != 1 {
		t.Errorf("the good fabric's circuits in the store = %+v, want only its sink, closed", f)
	}
	write(t, filepath.Join(good, "raw", "c.yaml"), vpcDoc("vpc-c"))
	_ = h.rec.Trigger("good", reconciler.Trigger{Kind: "manual"})
	eventually(t, "the good fabric to keep syncing", func() bool { return countLines(calls) == 2 })
	if h.rec.CircuitState("sink:good/exec-0") != resilience.BreakerClosed {
		t.Error("the good fabric's circuit is not closed")
	}

	// Restart: a new reconciler on the same state dir re-applies nothing.
	h.stop()
	h2 := newHarness(t, reconciler.Options{Store: newStore(t), StateDir: stateDir, Backoff: fastRetries})
	h2.apply(goodSpec)
	eventually(t, "first sync after restart", func() bool { return h2.fabric("good").Attempted })
	if n := countLines(calls); n != 2 {
		t.Errorf("after a restart the command ran again (%d runs, want 2)", n)
	}
	if s := h2.fabric("good").Last.Sinks; len(s) != 1 || s[0].Status != "unchanged" {
		t.Errorf("sink after restart %+v, want unchanged", s)
	}
}

func publisher(t *testing.T, path string, prune, allowEmpty, detect bool) reconciler.SinkSpec {
	t.Helper()
	p, err := directory.New(directory.Options{Path: path, Prune: prune, AllowEmpty: allowEmpty, DetectOnly: detect})
	if err != nil {
		t.Fatal(err)
	}
	return reconciler.SinkSpec{Name: "directory-0", Sink: directory.NewSink(p), Prune: prune, AllowEmpty: allowEmpty, DetectOnly: detect}
}

// prune: true with an empty desired set is refused; detect-only reports a
// hand-edited published file as drift and changes nothing.
func TestDirectorySinkPruneGuardAndDrift(t *testing.T) {
	root, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), vpcDoc("vpc-a"))
	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store, StateDir: t.TempDir(), Backoff: fastRetries})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{publisher(t, out, true, false, false)}})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	published := filepath.Join(out, "current", "vpcs", "vpc-a.yaml")
	if !exists(published) {
		t.Fatalf("not published: %s", published)
	}

	// The desired set empties (managed/ wiped by mistake): refused.
	if err := os.RemoveAll(filepath.Join(root, "managed", "vpcs", "vpc-a.yaml")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "raw", "note.yaml"), "# just a comment\n") // makes ingestion change the tree
	_ = h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual"})
	eventually(t, "the refusal", func() bool {
		l := h.fabric("lab").Last
		return l != nil && l.State == reconciler.StateFailed
	})
	last := h.fabric("lab").Last
	if !strings.Contains(last.Error, "refusing to prune every resource") || !strings.Contains(last.Remediation, "allow_empty") {
		t.Errorf("error %q / %q, want the empty-set refusal with its remediation", last.Error, last.Remediation)
	}
	if !exists(published) {
		t.Error("the published resource was deleted despite the guard")
	}

	// Detect-only over a hand-edited published file.
	root2, out2 := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root2, "raw", "a.yaml"), vpcDoc("vpc-a"))
	h.apply(reconciler.FabricSpec{Name: "pub", Root: root2, Hash: "p", Sinks: []reconciler.SinkSpec{publisher(t, out2, false, false, false)}})
	eventually(t, "pub's first sync", func() bool { return h.fabric("pub").Attempted })
	h.apply(reconciler.FabricSpec{Name: "pub", Root: root2, Hash: "p2", Sinks: []reconciler.SinkSpec{publisher(t, out2, false, false, true)}})
	eventually(t, "pub restarted detect-only", func() bool { return h.fabric("pub").Attempted })
	edited := filepath.Join(out2, "current", "vpcs", "vpc-a.yaml")
	if err := os.WriteFile(edited, []byte("hand edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Readlink(filepath.Join(out2, "current"))
	_ = h.rec.Trigger("pub", reconciler.Trigger{Kind: "manual"})
	eventually(t, "drift to be reported", func() bool {
		l := h.fabric("pub").Last
		return l != nil && len(l.Sinks) == 1 && l.Sinks[0].Status == "drift"
	})
	after, _ := os.Readlink(filepath.Join(out2, "current"))
	if b, _ := os.ReadFile(edited); string(b) != "hand edit\n" || before != after {
		t.Error("detect-only changed the published tree")
	}
	evs, _ := store.Events(nil, 0, 1000)
	found := false
	for _, e := range evs {
		if e.Type == state.EventDriftDetected && e.Fabric == "pub" {
			found = true
		}
	}
	if !found {
		t.Error("no drift_detected event")
	}
}

// A crash while a sink's inventory was being saved leaves the temp file of
// the atomic write in the state dir; the fabric's next start removes it
// (found by the kill -9 soak, reliability/kill_test.go).
func TestInventoryTempRemovedAtStart(t *testing.T) {
	root, stateDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), vpcDoc("vpc-a"))
	left := filepath.Join(stateDir, "inventory", "lab", fgd.TempPrefix+"crashed")
	write(t, left, `[{"key": "half`)
	h := newHarness(t, reconciler.Options{Store: newStore(t), StateDir: stateDir, Backoff: fastRetries})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", "cat >/dev/null")}})
	eventually(t, "the first sync", func() bool { return h.fabric("lab").Attempted })
	if exists(left) {
		t.Error("the temp file of the interrupted inventory save is still there")
	}
	if !exists(filepath.Join(stateDir, "inventory", "lab", "exec-0.json")) {
		t.Error("the sink's inventory was not saved")
	}
}

// A sync an operator asks for (fgd sync, the API) re-reads managed/: a
// managed file removed or edited by hand in a dir fabric is reconciled
// without waiting for a change in raw/.
func TestOperatorSyncRereadsManaged(t *testing.T) {
	root, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), vpcDoc("vpc-a"))
	write(t, filepath.Join(root, "raw", "b.yaml"), vpcDoc("vpc-b"))
	h := newHarness(t, reconciler.Options{Store: newStore(t), StateDir: t.TempDir(), Backoff: fastRetries})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{publisher(t, out, true, false, false)}})
	published := func(name string) string { return filepath.Join(out, "current", "vpcs", name+".yaml") }
	eventually(t, "first sync", func() bool { return exists(published("vpc-a")) && exists(published("vpc-b")) })

	if err := os.Remove(filepath.Join(root, "managed", "vpcs", "vpc-b.yaml")); err != nil {
		t.Fatal(err)
	}
	var id string
	eventually(t, "the operator's sync to be accepted", func() bool {
		var err error
		id, err = h.rec.SyncNow("lab", reconciler.Trigger{Kind: "api", Detail: "test"})
		return err == nil // refused while the first sync finishes
	})
	eventually(t, "the operator's sync", func() bool { l := h.fabric("lab").Last; return l != nil && l.ID == id && l.State.Terminal() })
	if l := h.fabric("lab").Last; l.State != reconciler.StateCompleted {
		t.Fatalf("the operator's sync: %s %s", l.State, l.Error)
	}
	if exists(published("vpc-b")) || !exists(published("vpc-a")) {
		t.Errorf("after the operator's sync vpc-b is published: %v, vpc-a: %v; want only vpc-a", exists(published("vpc-b")), exists(published("vpc-a")))
	}
}
