package httpapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewRegistryLintsClean(t *testing.T) {
	problems, err := testutil.GatherAndLint(NewRegistry("1.2.3", "abc123"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestNewRegistryContents(t *testing.T) {
	reg := NewRegistry("1.2.3", "abc123")
	want := `# HELP fgd_build_info A metric with a constant '1' value labeled by the version, revision and Go version fgd was built from.
# TYPE fgd_build_info gauge
fgd_build_info{goversion="` + runtime.Version() + `",revision="abc123",version="1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fgd_build_info"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"go_goroutines", "go_memstats_alloc_bytes", "go_gc_heap_live_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if !names[n] {
			t.Errorf("registry lacks %s (Go or process collector missing)", n)
		}
	}
}

func TestMetricsContentNegotiation(t *testing.T) {
	ts := serve(t, Options{Gatherer: NewRegistry("1.2.3", "abc123")})
	tests := []struct {
		name        string
		accept      string
		wantType    string
		wantEOFLine bool // OpenMetrics ends with "# EOF"
	}{
		{"plain text by default", "", "text/plain", false},
		{"OpenMetrics on request", "application/openmetrics-text;version=1.0.0", "application/openmetrics-text", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.accept != "" {
				h.Set("Accept", tt.accept)
			}
			status, rh, body := do(t, "GET", ts.URL+"/metrics", h)
			if status != 200 {
				t.Fatalf("GET /metrics = %d", status)
			}
			if ct := rh.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantType)
			}
			if got := strings.HasSuffix(body, "# EOF\n"); got != tt.wantEOFLine {
				t.Errorf("ends with # EOF = %v, want %v", got, tt.wantEOFLine)
			}
			if !strings.Contains(body, `fgd_build_info{`) {
				t.Errorf("fgd_build_info missing from /metrics")
			}
		})
	}
}

// failingCollector is a collector whose gathering fails, as a broken one
// would in production.
type failingCollector struct{ desc *prometheus.Desc }

func (c failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("backend unreachable"))
}

func TestMetricsServesWhatItCanAndLogsTheRest(t *testing.T) {
	reg := NewRegistry("1.2.3", "abc123")
	reg.MustRegister(failingCollector{prometheus.NewDesc("fgd_broken", "Always fails.", nil, nil)})
	var logs bytes.Buffer
	ts := serve(t, Options{Gatherer: reg, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	status, _, body := do(t, "GET", ts.URL+"/metrics", nil)
	if status != 200 || !strings.Contains(body, "fgd_build_info{") {
		t.Errorf("GET /metrics with a failing collector = %d, body has fgd_build_info: %v; want 200 and the healthy metrics",
			status, strings.Contains(body, "fgd_build_info{"))
	}
	if !strings.Contains(logs.String(), "backend unreachable") {
		t.Errorf("the collector's error was not logged: %q", logs.String())
	}
}
