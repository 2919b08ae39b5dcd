package httpapi

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
)

// guardEnv is a real Server listening on loopback over a seeded store, with
// an operator token, an audit log and the rejected-requests log.
type guardEnv struct {
	*apiEnv
	srv     *Server
	port    string
	rejLog  string
	rejects *audit.Rejections
}

func newGuardEnv(t *testing.T, opts Options) *guardEnv {
	t.Helper()
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	rejPath := filepath.Join(e.dir, "state", audit.RejectedFileName)
	rejLog, err := audit.New(rejPath, 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts.Listen = "127.0.0.1:0"
	opts.State, opts.Controller, opts.Audit = e.store, e.ctl, e.auditLog
	opts.Tokens = Tokens{OperatorFile: e.opFile, OperatorName: "ops-team"}
	opts.Rejected = audit.NewRejections(rejLog, nil, nil)
	opts.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Hooks = nopHooks{}
	s := New(opts)
	r := start(t, s)
	e.url = r.url
	_, port, _ := net.SplitHostPort(s.Addr().String())
	return &guardEnv{apiEnv: e, srv: s, port: port, rejLog: rejPath, rejects: opts.Rejected}
}

// nopHooks is a HookTarget without fabrics: every webhook is unauthorized.
type nopHooks struct{}

func (nopHooks) HookFabrics([]string, string) []HookFabric { return nil }
func (nopHooks) HookFabric(string) (HookFabric, bool)      { return HookFabric{}, false }
func (nopHooks) Wake(string, string)                       {}

// request sends method path with the Host header host (and the extra
// headers), the operator token on POSTs, and returns the status.
func (e *guardEnv) request(t *testing.T, method, path, host string, hdr ...string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if method == "POST" {
		req.Header.Set("Authorization", "Bearer "+opToken)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	status, _, _ := e.send(t, req)
	return status
}

// A forged Host header gets 421 on reads and writes, pages and API; the
// listen address, the loopback names with the listen port and the
// allowed hosts get through; probes and webhooks take any Host.
func TestHostAllowList(t *testing.T) {
	e := newGuardEnv(t, Options{AllowedHosts: []string{"fgd.example.com", "proxy.example:8443"}})
	p := e.port
	cases := []struct {
		host string
		want int // for the reads; writes get 202 where reads get 200
	}{
		{"rebind.evil.example", http.StatusMisdirectedRequest},
		{"rebind.evil.example:" + p, http.StatusMisdirectedRequest},
		{"localhost", http.StatusMisdirectedRequest}, // port 80, not the listen port
		{"127.0.0.2:" + p, http.StatusMisdirectedRequest},
		{"proxy.example", http.StatusMisdirectedRequest}, // allowed on 8443 only
		{"127.0.0.1:" + p, http.StatusOK},
		{"localhost:" + p, http.StatusOK},
		{"LOCALHOST.:" + p, http.StatusOK},
		{"[::1]:" + p, http.StatusOK},
		{"fgd.example.com", http.StatusOK},
		{"fgd.example.com:443", http.StatusOK},
		{"proxy.example:8443", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			for _, path := range []string{"/api/v1/fabrics", "/api/v1/fabrics/dc1/resources", "/", "/fabrics/dc1", "/static/style.css"} {
				if got := e.request(t, "GET", path, c.host); got != c.want {
					t.Errorf("GET %s with Host %q = %d, want %d", path, c.host, got, c.want)
				}
			}
			wantPost := http.StatusAccepted
			if c.want != http.StatusOK {
				wantPost = c.want
			}
			if got := e.request(t, "POST", "/api/v1/fabrics/lab/sync", c.host); got != wantPost {
				t.Errorf("POST sync with Host %q = %d, want %d", c.host, got, wantPost)
			}
			e.ctl.mu.Lock()
			e.ctl.running = map[string]string{}
			e.ctl.mu.Unlock()
			// Probes and webhooks answer whatever the Host.
			if got := e.request(t, "GET", "/healthz", c.host); got != http.StatusOK {
				t.Errorf("GET /healthz with Host %q = %d, want 200", c.host, got)
			}
			if got := e.request(t, "POST", "/hooks/generic/dc1", c.host); got != http.StatusUnauthorized {
				t.Errorf("POST /hooks/generic/dc1 with Host %q = %d, want 401 (the secret decides)", c.host, got)
			}
		})
	}
}

// A state-changing request from a browser page of another origin is
// refused with 403, also when its Host is allowed (DNS rebinding sends the
// attacker's origin with an allowed Host only if the name is allowed).
func TestCrossOriginWritesAreRefused(t *testing.T) {
	e := newGuardEnv(t, Options{AllowedHosts: []string{"fgd.example.com"}})
	host := "127.0.0.1:" + e.port
	cases := []struct {
		name string
		hdr  []string
		want int
	}{
		{"no browser headers (curl, fgd sync)", nil, http.StatusAccepted},
		{"same origin", []string{"Origin", "http://" + host}, http.StatusAccepted},
		{"an allowed proxy's origin", []string{"Origin", "https://fgd.example.com"}, http.StatusAccepted},
		{"foreign origin", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"foreign origin on the listen port", []string{"Origin", "http://evil.example:" + e.port}, http.StatusForbidden},
		{"opaque origin", []string{"Origin", "null"}, http.StatusForbidden},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.ctl.mu.Lock()
			e.ctl.running = map[string]string{}
			e.ctl.mu.Unlock()
			if got := e.request(t, "POST", "/api/v1/fabrics/lab/sync", host, c.hdr...); got != c.want {
				t.Errorf("POST sync = %d, want %d", got, c.want)
			}
		})
	}
	// Reads from other origins stay readable by the same rules as ever.
	if got := e.request(t, "GET", "/api/v1/fabrics", host, "Origin", "http://evil.example"); got != http.StatusOK {
		t.Errorf("GET with a foreign Origin = %d, want 200", got)
	}
}

// Rejected requests, a flood of them, reach the rejected-requests log as
// one record per caller and minute; the operator's record of the sync
// stays in the audit log.
func TestRejectedFloodOverHTTPIsAggregated(t *testing.T) {
	e := newGuardEnv(t, Options{})
	host := "127.0.0.1:" + e.port
	if got := e.request(t, "POST", "/api/v1/fabrics/lab/sync", host); got != http.StatusAccepted {
		t.Fatalf("the operator's sync = %d", got)
	}
	const n = 2000
	client := &http.Client{Timeout: time.Minute}
	for i := range n {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.url+"/api/v1/fabrics/dc1/suspend", nil)
		if i%2 == 1 {
			req.Host = "rebind.evil.example"
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if want := []int{http.StatusUnauthorized, http.StatusMisdirectedRequest}[i%2]; resp.StatusCode != want {
			t.Fatalf("request %d = %d, want %d", i, resp.StatusCode, want)
		}
	}
	e.rejects.Flush()
	var ops []string
	for _, en := range e.auditEntries(t) {
		ops = append(ops, en.Action+" "+en.Outcome)
	}
	if len(ops) != 1 || ops[0] != "sync accepted" {
		t.Errorf("audit log %v, want the operator's sync alone", ops)
	}
	data, err := os.ReadFile(e.rejLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	// One caller, anonymous; a minute boundary may split the flood.
	if len(lines) == 0 || len(lines) > 2 {
		t.Fatalf("%d rejection records, want 1 or 2:\n%s", len(lines), data)
	}
	total := 0
	for _, l := range lines {
		var cnt int
		if _, err := fmt.Sscanf(l[strings.Index(l, `"count":`):], `"count":%d`, &cnt); err != nil {
			t.Fatalf("no count in %s", l)
		}
		total += cnt
		if !strings.Contains(l, `"remote":"127.0.0.1"`) || !strings.Contains(l, "401 no bearer token") || !strings.Contains(l, "421 Host not allowed") {
			t.Errorf("record %s: want the caller and both reasons", l)
		}
	}
	if total != n {
		t.Errorf("the records count %d rejections, want %d", total, n)
	}
	// The log says it once per caller and minute at info, the rest at
	// debug: a flood must not drown the daemon's log.
	info := 0
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "level=INFO") && (strings.Contains(l, "API request rejected") || strings.Contains(l, "HTTP request refused")) {
			info++
		}
	}
	if info == 0 || info > 2 {
		t.Errorf("%d info lines about %d rejected requests, want 1 (2 across a minute boundary)", info, n)
	}
}
