package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// FabricReadiness is one fabric's line in /readyz.
type FabricReadiness struct {
	Fabric string `json:"fabric"`
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
}

// readyzBody is the JSON /readyz answers with.
type readyzBody struct {
	Ready   bool              `json:"ready"`
	Fabrics []FabricReadiness `json:"fabrics"`
}

// notSyncedYet is the reason given for an unready fabric that reported none.
const notSyncedYet = "first sync not attempted yet"

// opsRoutes are the operational endpoints: liveness, readiness, metrics and
// the reload trigger.
func (s *Server) opsRoutes() []route {
	rs := []route{
		{pattern: "GET /healthz", handler: http.HandlerFunc(s.healthz)},
		{pattern: "GET /readyz", handler: http.HandlerFunc(s.readyz)},
	}
	if s.opts.Gatherer != nil {
		rs = append(rs, route{pattern: "GET /metrics", handler: promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{
			EnableOpenMetrics: true,
			// Serve what can be gathered; a broken collector shows up in
			// the log, not as a blank scrape.
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      errorLogger{s},
		})})
	}
	if s.opts.Reload != nil {
		rs = append(rs, route{pattern: "POST /-/reload", handler: http.HandlerFunc(s.reload)})
	}
	return rs
}

// healthz answers 200 as long as the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

// readyz answers 200 when every fabric has had its first sync attempt (or
// there are none), 503 otherwise; the body lists every fabric either way.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	body := readyzBody{Ready: true, Fabrics: []FabricReadiness{}}
	if s.opts.Readiness != nil {
		body.Fabrics = append(body.Fabrics, s.opts.Readiness()...)
	}
	slices.SortStableFunc(body.Fabrics, func(a, b FabricReadiness) int { return cmp.Compare(a.Fabric, b.Fabric) })
	for i := range body.Fabrics {
		f := &body.Fabrics[i]
		if !f.Ready {
			body.Ready = false
			if f.Reason == "" {
				f.Reason = notSyncedYet
			}
		}
	}
	status := http.StatusOK
	if !body.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

// reload runs the configured reload: 200 when it succeeded, 500 with the
// reason when it did not (the old configuration stays in force).
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Reload(r.Context()); err != nil {
		s.logger.Warn("reload requested over HTTP failed", "remote", r.RemoteAddr, "err", err)
		writeText(w, http.StatusInternalServerError, "reload failed: "+err.Error()+"\n")
		return
	}
	writeText(w, http.StatusOK, "ok\n")
}

func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// encodedJSON is a body that is already encoded JSON.
type encodedJSON []byte

func writeJSON(w http.ResponseWriter, status int, v any) {
	var data []byte
	if pre, ok := v.(encodedJSON); ok {
		// Already valid JSON, built from cached parts: json.Marshal would
		// only re-scan it.
		data = pre
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			// Only a programming error can get here: the bodies are plain structs.
			panic(err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// errorLogger routes promhttp's error messages to the server's logger.
type errorLogger struct{ s *Server }

func (l errorLogger) Println(v ...any) {
	l.s.logger.Error("metrics gathering failed; the scrape is served without the failing metrics", "err", fmt.Sprint(v...))
}
