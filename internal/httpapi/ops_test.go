package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// serve starts a real HTTP server (httptest, loopback) on a Server built
// from opts.
func serve(t *testing.T, opts Options) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(New(opts).Handler())
	t.Cleanup(ts.Close)
	return ts
}

// do sends one request and returns the status, headers and body.
func do(t *testing.T, method, url string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestRoutes(t *testing.T) {
	full := serve(t, Options{
		Gatherer: NewRegistry("1.2.3", "abc"),
		Reload:   func(context.Context) error { return nil },
	})
	bare := serve(t, Options{}) // no Gatherer, no Reload
	tests := []struct {
		name       string
		srv        *httptest.Server
		method     string
		path       string
		wantStatus int
		wantBody   string // substring; "" checks nothing
		wantAllow  string
	}{
		{"healthz", full, "GET", "/healthz", 200, "ok", ""},
		{"healthz HEAD", full, "HEAD", "/healthz", 200, "", ""},
		{"healthz POST", full, "POST", "/healthz", 405, "", "GET, HEAD"},
		{"readyz without fabrics", full, "GET", "/readyz", 200, `"ready":true`, ""},
		{"readyz HEAD", full, "HEAD", "/readyz", 200, "", ""},
		{"metrics", full, "GET", "/metrics", 200, "fgd_build_info", ""},
		{"metrics HEAD", full, "HEAD", "/metrics", 200, "", ""},
		{"reload", full, "POST", "/-/reload", 200, "ok", ""},
		{"reload GET", full, "GET", "/-/reload", 405, "", "POST"},
		{"unknown path", full, "GET", "/nope", 404, "", ""},
		{"root is not served yet", full, "GET", "/", 404, "", ""},
		{"metrics without a Gatherer", bare, "GET", "/metrics", 404, "", ""},
		{"reload without a Reload func", bare, "POST", "/-/reload", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := do(t, tt.method, tt.srv.URL+tt.path, nil)
			if status != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d (body %q)", tt.method, tt.path, status, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q does not contain %q", body, tt.wantBody)
			}
			if tt.method == "HEAD" && body != "" {
				t.Errorf("HEAD answered with a body: %q", body)
			}
			if tt.wantAllow != "" && h.Get("Allow") != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", h.Get("Allow"), tt.wantAllow)
			}
		})
	}
}

func TestHealthzBody(t *testing.T) {
	ts := serve(t, Options{})
	status, h, body := do(t, "GET", ts.URL+"/healthz", nil)
	if status != 200 || body != "ok\n" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /healthz = %d %q (%s), want 200 \"ok\\n\" text/plain", status, body, h.Get("Content-Type"))
	}
}

// fabrics is a readiness source the test flips like the reconciler will.
type fabrics struct {
	mu    sync.Mutex
	state []FabricReadiness
}

func (f *fabrics) readiness() []FabricReadiness {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FabricReadiness(nil), f.state...)
}

func (f *fabrics) set(s ...FabricReadiness) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = s
}

// readyz fetches /readyz and decodes it strictly: an unexpected field fails.
func readyz(t *testing.T, url string) (int, readyzBody, map[string]any) {
	t.Helper()
	status, h, body := do(t, "GET", url+"/readyz", nil)
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var got readyzBody
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	return status, got, raw
}

func TestReadinessTransition(t *testing.T) {
	f := &fabrics{}
	ts := serve(t, Options{Readiness: f.readiness})
	steps := []struct {
		name       string
		state      []FabricReadiness
		wantStatus int
		wantReady  bool
		wantFabric []FabricReadiness // in name order
	}{
		{"zero fabrics are ready", nil, 200, true, []FabricReadiness{}},
		{
			"no fabric synced yet",
			[]FabricReadiness{{Fabric: "lab"}, {Fabric: "dc1", Reason: "cloning https://git.example/org/fabric.git"}},
			503, false,
			[]FabricReadiness{{Fabric: "dc1", Reason: "cloning https://git.example/org/fabric.git"}, {Fabric: "lab", Reason: notSyncedYet}},
		},
		{
			"one of two synced",
			[]FabricReadiness{{Fabric: "dc1", Ready: true}, {Fabric: "lab", Reason: "waiting for the first sync"}},
			503, false,
			[]FabricReadiness{{Fabric: "dc1", Ready: true}, {Fabric: "lab", Reason: "waiting for the first sync"}},
		},
		{
			"all synced",
			[]FabricReadiness{{Fabric: "lab", Ready: true}, {Fabric: "dc1", Ready: true}},
			200, true,
			[]FabricReadiness{{Fabric: "dc1", Ready: true}, {Fabric: "lab", Ready: true}},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.set(st.state...)
			status, got, raw := readyz(t, ts.URL)
			if status != st.wantStatus || got.Ready != st.wantReady {
				t.Errorf("/readyz = %d ready=%v, want %d ready=%v", status, got.Ready, st.wantStatus, st.wantReady)
			}
			if len(got.Fabrics) != len(st.wantFabric) {
				t.Fatalf("fabrics = %+v, want %+v", got.Fabrics, st.wantFabric)
			}
			for i := range got.Fabrics {
				if got.Fabrics[i] != st.wantFabric[i] {
					t.Errorf("fabrics[%d] = %+v, want %+v", i, got.Fabrics[i], st.wantFabric[i])
				}
			}
			// The shape scripts rely on: "fabrics" is always an array.
			if _, ok := raw["fabrics"].([]any); !ok {
				t.Errorf(`"fabrics" = %#v, want a JSON array`, raw["fabrics"])
			}
		})
	}
}

func TestReload(t *testing.T) {
	tests := []struct {
		name       string
		reload     func(context.Context) error
		method     string
		header     http.Header
		wantStatus int
		wantBody   string
		wantCalls  int
	}{
		{"success", func(context.Context) error { return nil }, "POST", nil, 200, "ok\n", 1},
		{
			"failure carries the error text",
			func(context.Context) error {
				return errors.New(`/etc/fgd/config.yaml:12: unknown key "intervall"`)
			},
			"POST", nil, 500, "reload failed: /etc/fgd/config.yaml:12: unknown key \"intervall\"\n", 1,
		},
		{"GET is not allowed", func(context.Context) error { return nil }, "GET", nil, 405, "", 0},
		{
			"cross-origin browser POST is refused",
			func(context.Context) error { return nil },
			"POST", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
			403, "", 0,
		},
		{
			"same-origin browser POST is allowed",
			func(context.Context) error { return nil },
			"POST", http.Header{"Sec-Fetch-Site": {"same-origin"}},
			200, "ok\n", 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var mu sync.Mutex
			ts := serve(t, Options{Reload: func(ctx context.Context) error {
				mu.Lock()
				calls++
				mu.Unlock()
				return tt.reload(ctx)
			}})
			status, _, body := do(t, tt.method, ts.URL+"/-/reload", tt.header)
			if status != tt.wantStatus {
				t.Errorf("%s /-/reload = %d, want %d (body %q)", tt.method, status, tt.wantStatus, body)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != tt.wantCalls {
				t.Errorf("Reload called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestReloadGetsTheRequestContext(t *testing.T) {
	type key struct{}
	var got any
	s := New(Options{Reload: func(ctx context.Context) error { got = ctx.Value(key{}); return nil }})
	req := httptest.NewRequestWithContext(context.WithValue(t.Context(), key{}, "marker"), "POST", "/-/reload", bytes.NewReader(nil))
	req.Host = "localhost:9477"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || got != "marker" {
		t.Errorf("reload = %d, ctx value %v; want 200 and the request's context", rec.Code, got)
	}
}
