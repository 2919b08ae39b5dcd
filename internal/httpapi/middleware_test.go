package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

func TestPanicBecomes500AndServingGoesOn(t *testing.T) {
	var logs testlog.Buffer
	ts := serve(t, Options{
		Readiness: func() []FabricReadiness { panic("readiness source exploded") },
		Logger:    slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	status, _, body := do(t, "GET", ts.URL+"/readyz", nil)
	if status != 500 || body != "internal server error\n" {
		t.Errorf("GET /readyz with a panicking handler = %d %q, want 500 \"internal server error\\n\"", status, body)
	}
	if strings.Contains(body, "exploded") {
		t.Errorf("the panic value reached the client: %q", body)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["level"] == "ERROR" {
			line = m
		}
	}
	if line == nil || line["panic"] != "readiness source exploded" || line["path"] != "/readyz" ||
		!strings.Contains(line["stack"].(string), "readyz") {
		t.Errorf("panic not logged with value, path and stack; logs:\n%s", logs.String())
	}
	if status, _, _ := do(t, "GET", ts.URL+"/healthz", nil); status != 200 {
		t.Errorf("GET /healthz after a panic = %d, want 200", status)
	}
}

func TestAbortHandlerPanicIsNotTurnedInto500(t *testing.T) {
	s := New(Options{})
	h := s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed through", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}

func TestAccessLog(t *testing.T) {
	tests := []struct {
		level   slog.Level
		wantLog bool
	}{
		{slog.LevelDebug, true},
		{slog.LevelInfo, false},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var logs testlog.Buffer
			ts := serve(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: tt.level}))})
			do(t, "GET", ts.URL+"/healthz?token=s3cr3t", nil)
			do(t, "GET", ts.URL+"/missing", nil)
			out := logs.String()
			if strings.Contains(out, "s3cr3t") {
				t.Errorf("the query string reached the access log: %s", out)
			}
			var got []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" {
					got = append(got, m)
				}
			}
			if !tt.wantLog {
				if len(got) != 0 {
					t.Errorf("access log at level %s: %s", tt.level, out)
				}
				return
			}
			if len(got) != 2 {
				t.Fatalf("want 2 access log lines, got %d:\n%s", len(got), out)
			}
			want := []struct {
				path   string
				status float64
			}{{"/healthz", 200}, {"/missing", 404}}
			for i, w := range want {
				if got[i]["method"] != "GET" || got[i]["path"] != w.path || got[i]["status"] != w.status || got[i]["level"] != "DEBUG" {
					t.Errorf("access log line %d = %v, want GET %s %v at DEBUG", i, got[i], w.path, w.status)
				}
			}
		})
	}
}

func TestWriteDeadlineAppliesToNonStreamingRoutes(t *testing.T) {
	tests := []struct {
		name      string
		streaming bool
		wantOK    bool
	}{
		// A deadline already past makes the response write fail for sure,
		// proving the deadline reaches the connection; no timing involved.
		{"deadline enforced", false, false},
		{"streaming route has none", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{})
			s.writeTimeout = -1
			big := strings.Repeat("x", 1<<20) // past every buffer, so the write hits the socket
			h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, big) }))
			if !tt.streaming {
				h = s.withWriteDeadline(h)
			}
			ts := httptest.NewServer(s.observe(h))
			defer ts.Close()
			resp, err := http.Get(ts.URL)
			ok := err == nil
			if err == nil {
				data, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				ok = rerr == nil && len(data) == len(big)
			}
			if ok != tt.wantOK {
				t.Errorf("full response received = %v, want %v (err %v)", ok, tt.wantOK, err)
			}
		})
	}
}

func TestPanicAfterTheResponseBeganAbortsIt(t *testing.T) {
	var logs testlog.Buffer
	s := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ts := httptest.NewServer(s.observe(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("half way")
	})))
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a response cut by a panic was received as complete")
	}
	if !strings.Contains(logs.String(), "half way") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
}
