package reconciler

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/resilience"
)

// Metrics are the reconciler's Prometheus series (SPEC §6, prefix fgd_).
type Metrics struct {
	syncs        *prometheus.CounterVec
	syncDuration *prometheus.HistogramVec
	files        *prometheus.CounterVec
	activeSyncs  prometheus.Gauge
	lastSuccess  *prometheus.GaugeVec
	resources    *prometheus.GaugeVec
	circuit      *prometheus.GaugeVec
	drift        *prometheus.GaugeVec
}

// NewMetrics creates the reconciler's series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fgd_syncs_total",
			Help: "Syncs finished, by fabric and result (success or failure).",
		}, []string{"fabric", "result"}),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fgd_sync_duration_seconds",
			Help: "Wall-clock duration of a sync, from trigger pick-up to completion.",
			// Syncs range from a few milliseconds (nothing to do) to minutes
			// (a large onboarding over a slow remote).
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 11),
		}, []string{"fabric"}),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fgd_files_processed_total",
			Help: "Files handled by ingestion, by fabric and outcome (ingested, partial, unmanaged, empty, error).",
		}, []string{"fabric", "outcome"}),
		activeSyncs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fgd_active_syncs",
			Help: "Syncs running now, across all fabrics.",
		}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_last_sync_success_timestamp_seconds",
			Help: "Unix time of the fabric's last successful sync.",
		}, []string{"fabric"}),
		resources: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fgd_resources",
			Help: "Managed resources of the fabric, by kind, after its last successful sync.",
		}, []string{"fabric", "kind"}),
	}
	m.circuit = resilience.NewCircuitMetric(reg)
	m.drift = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fgd_sink_drift_resources",
		Help: "Resources a sink holds that differ from what fgd applied, as of its last sync.",
	}, []string{"fabric", "sink"})
	reg.MustRegister(m.syncs, m.syncDuration, m.files, m.activeSyncs, m.lastSuccess, m.resources, m.drift)
	return m
}

// forget removes every series of a fabric that left the config.
func (m *Metrics) forget(fabric string) {
	l := prometheus.Labels{"fabric": fabric}
	m.syncs.DeletePartialMatch(l)
	m.syncDuration.DeletePartialMatch(l)
	m.files.DeletePartialMatch(l)
	m.lastSuccess.DeletePartialMatch(l)
	m.resources.DeletePartialMatch(l)
	m.circuit.DeletePartialMatch(l)
	m.drift.DeletePartialMatch(l)
}
