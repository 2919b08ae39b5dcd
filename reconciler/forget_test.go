package reconciler_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/reconciler"
)

// A fabric removed from the configuration while its sink's circuit is open,
// then added again under the same name, starts with the circuit closed: the
// old failures belonged to a fabric that no longer exists, and an hour-long
// open circuit must not greet the new one.
func TestRemovedFabricForgetsItsCircuits(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), vpcDoc("vpc-a"))
	h := newHarness(t, reconciler.Options{Store: newStore(t), StateDir: t.TempDir(), Backoff: fastRetries,
		Breakers: resilience.BreakerOptions{OpenFor: time.Hour}})
	spec := reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1",
		Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", "cat >/dev/null; echo nope >&2; exit 1")}}
	h.apply(spec)
	eventually(t, "the first sync", func() bool { return h.fabric("lab").Attempted })
	_ = h.rec.Trigger("lab", reconciler.Trigger{Kind: "manual"})
	eventually(t, "the sink's circuit to open", func() bool {
		return h.rec.CircuitState("sink:lab/exec-0") == resilience.BreakerOpen
	})

	h.apply() // removed
	if got := h.rec.CircuitState("sink:lab/exec-0"); got != resilience.BreakerClosed {
		t.Errorf("after the fabric was removed its sink's circuit is %s, want closed", got)
	}
	h.apply(spec) // added again
	eventually(t, "the re-added fabric's first sync", func() bool { return h.fabric("lab").Attempted })
	if got := h.rec.CircuitState("sink:lab/exec-0"); got == resilience.BreakerOpen {
		t.Errorf("the re-added fabric got its old open circuit back")
	}
}
