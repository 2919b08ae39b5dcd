package resilience

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// NewCircuitMetric returns fgd_circuit_state{fabric,target} (0 closed, 1
// half-open, 2 open; see CircuitValue), registered on reg when reg is not
// nil. Set it from BreakerOptions.OnChange and delete a target's series
// when it is forgotten. Registering twice on one registry returns the
// gauge registered first.
func NewCircuitMetric(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fgd_circuit_state",
		Help: "State of the circuit breaker of a fabric's remote or sink: 0 closed, 1 half-open, 2 open.",
	}, []string{"fabric", "target"})
	if reg == nil {
		return g
	}
	if err := reg.Register(g); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
				return existing
			}
		}
		// Only a programming error gets here: another metric of the same
		// name with other labels.
		panic(err)
	}
	return g
}

// CircuitValue is the value of fgd_circuit_state for s: 0 closed, 1
// half-open, 2 open.
func CircuitValue(s BreakerState) float64 {
	switch s {
	case BreakerHalfOpen:
		return 1
	case BreakerOpen:
		return 2
	}
	return 0
}
