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
	ops    *prometheus.CounterVec
	verify *prometheus.CounterVec
}

// NewMetrics creates fgd_git_operations_total{remote,op,result} and
// fgd_git_verification_total{remote,result} and registers them with reg
// (nil: not registered). remote is the URL without userinfo: fabrics of one
// repository share its series.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{ops: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fgd_git_operations_total",
		Help: "Network operations on git remotes, by remote (URL without credentials), op (ls-remote, clone, fetch, push) and result (success, failure).",
	}, []string{"remote", "op", "result"}),
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fgd_git_verification_total",
			Help: "Signature verifications of fetched revisions (source.git.verify), by remote and result (passed, failed).",
		}, []string{"remote", "result"})}
	if reg != nil {
		reg.MustRegister(m.ops, m.verify)
	}
	return m
}

func (m *Metrics) verified(remote string, err error) {
	if m == nil {
		return
	}
	result := "passed"
	if err != nil {
		result = "failed"
	}
	m.verify.WithLabelValues(remote, result).Inc()
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
