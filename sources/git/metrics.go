package git

import "github.com/prometheus/client_golang/prometheus"

// Operations counted by Metrics.
const (
	OpLsRemote = "ls-remote"
	OpClone    = "clone"
	OpFetch    = "fetch"
	OpPush     = "push"
)

// Metrics counts the network operations on git remotes. A nil *Metrics
// counts nothing.
type Metrics struct {
	ops *prometheus.CounterVec
}

// NewMetrics creates fgd_git_operations_total{remote,op,result} and
// registers it with reg (nil: not registered). remote is the URL without
// userinfo: fabrics of one repository share its series.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{ops: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fgd_git_operations_total",
		Help: "Network operations on git remotes, by remote (URL without credentials), op (ls-remote, clone, fetch, push) and result (success, failure).",
	}, []string{"remote", "op", "result"})}
	if reg != nil {
		reg.MustRegister(m.ops)
	}
	return m
}

func (m *Metrics) observe(remote, op string, err error) {
	if m == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "failure"
	}
	m.ops.WithLabelValues(remote, op, result).Inc()
}
