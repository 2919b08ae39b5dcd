package resilience

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCircuitMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := NewCircuitMetric(reg)
	if again := NewCircuitMetric(reg); again != g {
		t.Error("registering twice did not return the gauge registered first")
	}
	b := NewBreakers(BreakerOptions{OnChange: func(target string, _, to BreakerState) {
		g.WithLabelValues("dc1", target).Set(CircuitValue(to))
	}})
	for range 5 {
		_ = b.Do("git:https://git.example/o/r.git", fail(errDown))
	}
	g.WithLabelValues("dc1", "sink:dc1/dir").Set(CircuitValue(BreakerHalfOpen))
	g.WithLabelValues("dc1", "sink:dc1/exec").Set(CircuitValue(BreakerClosed))
	want := `# HELP fgd_circuit_state State of the circuit breaker of a fabric's remote or sink: 0 closed, 1 half-open, 2 open.
# TYPE fgd_circuit_state gauge
fgd_circuit_state{fabric="dc1",target="git:https://git.example/o/r.git"} 2
fgd_circuit_state{fabric="dc1",target="sink:dc1/dir"} 1
fgd_circuit_state{fabric="dc1",target="sink:dc1/exec"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_circuit_state"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if NewCircuitMetric(nil) == nil {
		t.Error("NewCircuitMetric(nil) = nil, want an unregistered gauge")
	}
}
