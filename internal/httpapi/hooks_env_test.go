package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

// hookTarget stands in for the daemon's wiring: it
// matches with the real MatchHookSources and records the wakes.
type hookTarget struct {
	srcs []HookSource

	mu    sync.Mutex
	woken []string // fabric names, in order
	about []string // the details given with them
}

func (h *hookTarget) HookFabrics(urls []string, branch string) []HookFabric {
	return MatchHookSources(h.srcs, urls, branch)
}

func (h *hookTarget) HookFabric(name string) (HookFabric, bool) {
	for _, s := range h.srcs {
		if s.Fabric == name {
			return HookFabric{Name: s.Fabric, SecretFile: s.SecretFile}, true
		}
	}
	return HookFabric{}, false
}

func (h *hookTarget) Wake(fabric, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.woken = append(h.woken, fabric)
	h.about = append(h.about, detail)
}

// take returns the wakes so far and forgets them.
func (h *hookTarget) take() (woken, about []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	woken, about = h.woken, h.about
	h.woken, h.about = nil, nil
	return woken, about
}

// The secrets of the test fabrics.
const (
	secret1 = "s3cret-one-Gh7q"
	secret2 = "s3cret-two-Lp9x"
)

const (
	repoA = "https://git.example/org/fabrics.git"
	repoB = "git@git.example:org/other.git"
	repoC = "https://git.example/org/nosecret.git"
)

// writeSecret writes a secret file as an operator would (mode 0600).
func writeSecret(t testing.TB, path, secret string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hookEnv is a Server with the test fabrics:
//
//	dc1 repoA main (secret1)   dc2 repoA dev (secret1)   dc4 repoA main (secret2)
//	dc3 repoB main (secret1)   dc5 repoC main (no secret file)
type hookEnv struct {
	url    string
	h      http.Handler // the server's handler, for callers that skip the network
	target *hookTarget
	logs   *testlog.Buffer
	dir    string
	reg    *prometheus.Registry
}

func newHookEnv(t testing.TB) *hookEnv {
	t.Helper()
	dir := t.TempDir()
	s1, s2 := filepath.Join(dir, "one.hook"), filepath.Join(dir, "two.hook")
	writeSecret(t, s1, secret1)
	writeSecret(t, s2, secret2)
	target := &hookTarget{srcs: []HookSource{
		{Fabric: "dc1", URL: repoA, Branch: "main", SecretFile: s1},
		{Fabric: "dc2", URL: repoA, Branch: "dev", SecretFile: s1},
		{Fabric: "dc3", URL: repoB, Branch: "main", SecretFile: s1},
		{Fabric: "dc4", URL: repoA, Branch: "main", SecretFile: s2},
		{Fabric: "dc5", URL: repoC, Branch: "main"},
	}}
	logs := &testlog.Buffer{}
	reg := prometheus.NewRegistry()
	h := New(Options{
		Hooks:      target,
		Registerer: reg,
		Gatherer:   reg,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}).Handler()
	url := serveHandler(t, h)
	return &hookEnv{url: url, h: h, target: target, logs: logs, dir: dir, reg: reg}
}

// hookPost sends a webhook and returns the status and body.
func hookPost(t *testing.T, url string, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func hmacHex(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// githubBody is a push payload as GitHub and Gitea shape it (trimmed to
// what fgd reads, plus a field it ignores).
func githubBody(t testing.TB, ref string, repo map[string]string) []byte {
	return mustJSON(t, map[string]any{"ref": ref, "before": "0000", "repository": repo})
}

func gitlabBody(t testing.TB, ref string, project map[string]string) []byte {
	return mustJSON(t, map[string]any{"object_kind": "push", "ref": ref, "project": project})
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

type hookCase struct {
	name       string
	path       string
	header     http.Header
	body       []byte
	wantStatus int
	wantWoken  []string // exactly these, in this order
	wantBody   string   // substring
}

func (e *hookEnv) run(t *testing.T, tests []hookCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.target.take()
			status, body := hookPost(t, e.url+tt.path, tt.header, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", body, tt.wantBody)
			}
			woken, _ := e.target.take()
			if !slices.Equal(woken, tt.wantWoken) {
				t.Errorf("woken = %v, want %v", woken, tt.wantWoken)
			}
			if tt.wantStatus == http.StatusAccepted {
				var got queuedBody
				if err := json.Unmarshal([]byte(body), &got); err != nil || !slices.Equal(got.Queued, tt.wantWoken) {
					t.Errorf("body = %q (%v), want {\"queued\":%q}", body, err, tt.wantWoken)
				}
			}
		})
	}
}
