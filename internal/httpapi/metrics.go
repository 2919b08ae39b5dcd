package httpapi

import (
	"regexp"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a registry holding the Go runtime and process
// collectors and fgd_build_info{version,revision,goversion} 1. Besides the
// usual go_memstats_* series, the Go collector exports go_gc_heap_live_bytes:
// the heap the last collection found live, the figure that tells retained
// memory from garbage not collected yet. Every fgd
// metric is registered on it; nothing uses the global default registry.
func NewRegistry(version, revision string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fgd_build_info",
		Help: "A metric with a constant '1' value labeled by the version, revision and Go version fgd was built from.",
	}, []string{"version", "revision", "goversion"})
	buildInfo.WithLabelValues(version, revision, runtime.Version()).Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	)
	return reg
}
