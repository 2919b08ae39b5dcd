package httpapi

import (
	"context"
	"github.com/fgdproject/fgd/internal/state"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAPIAccess(t *testing.T) {
	open := newAPIEnv(t, envConfig{operator: true})
	locked := newAPIEnv(t, envConfig{operator: true, readToken: true})
	noOperator := newAPIEnv(t, envConfig{})
	for _, e := range []*apiEnv{open, locked, noOperator} {
		e.seed(t)
	}
	const (
		read = "GET /api/v1/fabrics/dc1"
		post = "POST /api/v1/fabrics/lab/suspend"
	)
	tests := []struct {
		name       string
		env        *apiEnv
		call       string
		token      string
		wantStatus int
		wantBody   string
		wantAuth   string // WWW-Authenticate; "" wants none
	}{
		{"open read without a token", open, read, "", 200, `"name":"dc1"`, ""},
		{"open read with a wrong token", open, read, "nope", 200, `"name":"dc1"`, ""},
		{"syncs are a read", open, "GET /api/v1/syncs/nope", "", 404, "unknown sync", ""},
		{"post without a token", open, post, "", 401, "needs the operator's bearer token", `Bearer realm="fgd"`},
		{"post with a wrong token", open, post, "wrong-" + opToken, 401, "the bearer token is not valid", `Bearer realm="fgd", error="invalid_token"`},
		{"post with a prefix of the token", open, post, opToken[:10], 401, "not valid", "Bearer"},
		{"post with the token twice", open, post, opToken + opToken, 401, "not valid", "Bearer"},
		{"post with the operator token", open, post, opToken, 200, `"suspended":true`, ""},
		{"post, basic auth", open, post, "basic", 401, "needs the operator's bearer token", "Bearer"},
		{"locked read without a token", locked, read, "", 401, "needs a bearer token", `Bearer realm="fgd"`},
		{"locked read with a wrong token", locked, read, "x", 401, "not valid", "Bearer"},
		{"locked read with the read token", locked, read, rdToken, 200, `"name":"dc1"`, ""},
		{"locked read with the operator token", locked, read, opToken, 200, `"name":"dc1"`, ""},
		{"locked events without a token", locked, "GET /api/v1/events", "", 401, "needs a bearer token", "Bearer"},
		{"read token cannot post", locked, post, rdToken, 403, "the read token cannot change anything", ""},
		{"operator posts", locked, post, opToken, 200, `"suspended":true`, ""},
		{"no operator token configured", noOperator, post, "anything", 403, "mutating API calls are disabled: set api.token_file", ""},
		{"no operator token configured, no token", noOperator, post, "", 403, "set api.token_file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path, _ := strings.Cut(tt.call, " ")
			req, err := http.NewRequestWithContext(t.Context(), method, tt.env.url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.token {
			case "":
			case "basic":
				req.SetBasicAuth("ops", opToken)
			default:
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			status, h, body := tt.env.send(t, req)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%s = %d %s, want %d with %q", tt.call, status, body, tt.wantStatus, tt.wantBody)
			}
			if got := h.Get("WWW-Authenticate"); (tt.wantAuth == "") != (got == "") || !strings.HasPrefix(got, tt.wantAuth) {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantAuth)
			}
			if status >= 400 && !strings.Contains(body, `"remediation":`) {
				t.Errorf("an error without a remediation: %s", body)
			}
		})
	}
	if n := len(noOperator.ctl.calls); n != 0 {
		t.Errorf("the controller got %d calls with mutating calls disabled", n)
	}
}

// TestTokenRotation: the token files are read on every request.
func TestTokenRotation(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	const rotated = "rotated-Tk-55aa66bb77cc"
	if status, _, _ := e.call(t, "POST", "/api/v1/fabrics/lab/resume", opToken); status != 200 {
		t.Fatalf("before the rotation: %d", status)
	}
	writeToken(t, e.opFile, rotated)
	if status, _, _ := e.call(t, "POST", "/api/v1/fabrics/lab/resume", opToken); status != 401 {
		t.Errorf("the old token after the rotation: %d, want 401", status)
	}
	if status, _, _ := e.call(t, "POST", "/api/v1/fabrics/lab/resume", rotated); status != 200 {
		t.Errorf("the new token after the rotation: %d, want 200", status)
	}
	// A token file every user can read is refused (and the log says why),
	// a missing one too: 503, never an open door.
	if err := os.Chmod(e.opFile, 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, body := e.call(t, "POST", "/api/v1/fabrics/lab/resume", rotated)
	if status != 503 || !strings.Contains(body, "cannot be read") {
		t.Errorf("world-readable token file: %d %s, want 503", status, body)
	}
	if !strings.Contains(e.logs.String(), "readable by every user") {
		t.Errorf("the log does not say why the token file is refused:\n%s", e.logs.String())
	}
	if err := os.Remove(e.opFile); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.call(t, "POST", "/api/v1/fabrics/lab/resume", rotated); status != 503 {
		t.Errorf("missing token file: %d, want 503", status)
	}
}

// TestSecretsAppearNowhere drives every endpoint with right, wrong and
// read tokens, then greps every answer, the log and every file under the
// test's directory (the audit log included) for the tokens.
func TestSecretsAppearNowhere(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true, readToken: true})
	e.seed(t)
	paths := []string{"/api/v1/fabrics", "/api/v1/fabrics/dc1", "/api/v1/fabrics/dc1/resources", "/api/v1/syncs/nope", "/api/v1/fabrics?wait=x"}
	for _, tok := range []string{"", opToken, rdToken, "x" + opToken, opToken + "x", rdToken[:5]} {
		for _, p := range paths {
			e.call(t, "GET", p, tok)
		}
		for _, p := range []string{"sync", "suspend", "resume"} {
			e.call(t, "POST", "/api/v1/fabrics/dc1/"+p, tok)
		}
	}
	if len(e.bodies) != 6*8 {
		t.Fatalf("only %d answers", len(e.bodies))
	}
	// A sync's state and the event stream, with a token in an event's data.
	var acc SyncAccepted
	_, _, body := e.call(t, "POST", "/api/v1/fabrics/lab/sync", opToken)
	mustDecode(t, body, &acc)
	e.call(t, "GET", acc.StatusURL, rdToken)
	add(t, e.store, "dc1", 3)
	s := connect(t, e.url, "/api/v1/events?after=0", "", opToken)
	var stream strings.Builder
	for range 3 {
		ev := s.nextEvent(t)
		stream.WriteString(ev.id + ev.event + ev.data)
	}
	e.bodies = append(e.bodies, stream.String())
	e.auditLog.Close()
	var haystacks []string
	haystacks = append(haystacks, e.bodies...)
	haystacks = append(haystacks, e.logs.String())
	err := filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == e.opFile || path == e.rdFile {
			return err
		}
		b, err := os.ReadFile(path)
		haystacks = append(haystacks, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := os.ReadFile(e.audit)
	if err != nil || len(audit) == 0 {
		t.Fatalf("the audit log is empty or missing: %v", err)
	}
	for _, h := range haystacks {
		for _, secret := range []string{opToken, rdToken, opToken[:12], rdToken[:12]} {
			if strings.Contains(h, secret) {
				t.Errorf("a token appears in an answer, the log or a file:\n%s", h)
			}
		}
	}
}

// POST /-/reload needs the operator token once one is configured.
func TestReloadNeedsTheOperatorToken(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "op")
	if err := os.WriteFile(tokenFile, []byte("op-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	reloads := 0
	srv := New(Options{Listen: "127.0.0.1:0", State: store, Tokens: Tokens{OperatorFile: tokenFile},
		Reload: func(context.Context) error { reloads++; return nil }})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	post := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/-/reload", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("reload without a token = %d, want 401", code)
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("reload with a wrong token = %d, want 401", code)
	}
	if code := post("op-token"); code != http.StatusOK || reloads != 1 {
		t.Errorf("reload with the operator token = %d (%d reloads), want 200 and one reload", code, reloads)
	}
}
