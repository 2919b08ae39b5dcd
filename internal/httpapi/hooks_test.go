package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestGitHubHook(t *testing.T) {
	e := newHookEnv(t)
	repoAPayload := map[string]string{
		"clone_url": "https://git.example/org/fabrics.git", "ssh_url": "git@git.example:org/fabrics.git",
		"html_url": "https://git.example/org/fabrics", "git_url": "git://git.example/org/fabrics.git",
	}
	push := func(ref string, repo map[string]string) []byte { return githubBody(t, ref, repo) }
	main := push("refs/heads/main", repoAPayload)
	gh := func(event, sig string) http.Header {
		h := headers("X-GitHub-Event", event, "Content-Type", "application/json", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		if sig != "" {
			h.Set("X-Hub-Signature-256", sig)
		}
		return h
	}
	signed := func(secret string, body []byte) http.Header { return gh("push", "sha256="+hmacHex(secret, body)) }
	dev := push("refs/heads/dev", repoAPayload)
	feature := push("refs/heads/feature", repoAPayload)
	tag := push("refs/tags/v1.0", repoAPayload)
	// Repository B named only by an https URL in a spelling of its own,
	// while dc3's config has the scp-like ssh form.
	other := push("refs/heads/main", map[string]string{"clone_url": "https://GIT.example/org/other"})
	unknown := push("refs/heads/main", map[string]string{"clone_url": "https://git.example/org/unknown.git"})
	noSecret := push("refs/heads/main", map[string]string{"clone_url": repoC})
	notJSON := []byte(`{"ref": "refs/heads/main", "repository": {`)
	form := []byte(url.Values{"payload": {string(main)}}.Encode())
	formHeader := signed(secret1, form)
	formHeader.Set("Content-Type", "application/x-www-form-urlencoded")

	e.run(t, []hookCase{
		{name: "signed push wakes exactly the matching fabric", path: "/hooks/github", header: signed(secret1, main), body: main,
			wantStatus: 202, wantWoken: []string{"dc1"}},
		{name: "the other secret of the same repo and branch", path: "/hooks/github", header: signed(secret2, main), body: main,
			wantStatus: 202, wantWoken: []string{"dc4"}},
		{name: "push to another branch", path: "/hooks/github", header: signed(secret1, dev), body: dev,
			wantStatus: 202, wantWoken: []string{"dc2"}},
		{name: "normalized URL: https payload, scp-like config", path: "/hooks/github", header: signed(secret1, other), body: other,
			wantStatus: 202, wantWoken: []string{"dc3"}},
		{name: "form-encoded payload", path: "/hooks/github", header: formHeader, body: form,
			wantStatus: 202, wantWoken: []string{"dc1"}},
		{name: "branch no fabric follows", path: "/hooks/github", header: signed(secret1, feature), body: feature,
			wantStatus: 204},
		{name: "tag push", path: "/hooks/github", header: signed(secret1, tag), body: tag, wantStatus: 204},
		{name: "wrong signature", path: "/hooks/github", header: signed("not-the-secret", main), body: main,
			wantStatus: 401, wantBody: "does not verify"},
		{name: "signature of another body", path: "/hooks/github", header: signed(secret1, dev), body: main, wantStatus: 401},
		{name: "missing signature", path: "/hooks/github", header: gh("push", ""), body: main, wantStatus: 401},
		{name: "malformed signature", path: "/hooks/github", header: gh("push", "sha1="+hmacHex(secret1, main)), body: main,
			wantStatus: 401, wantBody: "missing or malformed"},
		{name: "signature without its prefix", path: "/hooks/github", header: gh("push", hmacHex(secret1, main)), body: main,
			wantStatus: 401},
		{name: "unknown repository", path: "/hooks/github", header: signed(secret1, unknown), body: unknown, wantStatus: 401},
		{name: "fabric without a secret file", path: "/hooks/github", header: signed(secret1, noSecret), body: noSecret,
			wantStatus: 401},
		{name: "ping", path: "/hooks/github", header: gh("ping", ""), body: []byte(`{"zen":"Keep it logically awesome."}`),
			wantStatus: 200},
		{name: "another event", path: "/hooks/github", header: gh("issues", ""), body: []byte(`{}`), wantStatus: 204},
		{name: "no event header", path: "/hooks/github", header: headers("X-Hub-Signature-256", "sha256="+hmacHex(secret1, main)), body: main,
			wantStatus: 400, wantBody: "X-GitHub-Event"},
		{name: "invalid JSON, signed", path: "/hooks/github", header: signed(secret1, notJSON), body: notJSON,
			wantStatus: 400, wantBody: "not valid JSON"},
		{name: "JSON naming no repository", path: "/hooks/github", header: signed(secret1, []byte(`{"ref":"refs/heads/main"}`)),
			body: []byte(`{"ref":"refs/heads/main"}`), wantStatus: 400, wantBody: "no repository"},
	})

	logs := e.logs.String()
	for _, want := range []string{
		`level=WARN msg="webhook refused: X-Hub-Signature-256 does not verify`,
		`level=WARN msg="webhook refused: X-Hub-Signature-256 header missing or malformed"`,
		`level=WARN msg="webhook refused: no fabric's git source is this repository`,
		`fabric=dc5`, "has no webhook secret",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestGitHubHookDetail(t *testing.T) {
	e := newHookEnv(t)
	body := githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA})
	h := headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret1, body), "X-GitHub-Delivery", "abc-123")
	if status, b := hookPost(t, e.url+"/hooks/github", h, body); status != 202 {
		t.Fatalf("status %d %q", status, b)
	}
	_, about := e.target.take()
	if len(about) != 1 || !strings.Contains(about[0], "github webhook: push to refs/heads/main from 127.0.0.1:") || !strings.Contains(about[0], "delivery abc-123") {
		t.Errorf("Wake detail = %q, want the hook, the ref, the caller and the delivery", about)
	}
}

func TestGitLabHook(t *testing.T) {
	e := newHookEnv(t)
	project := map[string]string{
		"git_http_url": "https://git.example/org/fabrics.git", "git_ssh_url": "git@git.example:org/fabrics.git",
		"web_url": "https://git.example/org/fabrics",
	}
	main := gitlabBody(t, "refs/heads/main", project)
	sshOnly := gitlabBody(t, "refs/heads/main", map[string]string{"git_ssh_url": "ssh://git@git.example:2222/org/other.git"})
	// Older GitLab names the URLs under "repository".
	legacy := mustJSON(t, map[string]any{"ref": "refs/heads/dev", "repository": map[string]string{"git_http_url": repoA}})
	gl := func(event, token string) http.Header {
		h := headers("X-Gitlab-Event", event, "Content-Type", "application/json")
		if token != "" {
			h.Set("X-Gitlab-Token", token)
		}
		return h
	}
	e.run(t, []hookCase{
		{name: "token of dc1", path: "/hooks/gitlab", header: gl("Push Hook", secret1), body: main, wantStatus: 202, wantWoken: []string{"dc1"}},
		{name: "token of dc4", path: "/hooks/gitlab", header: gl("Push Hook", secret2), body: main, wantStatus: 202, wantWoken: []string{"dc4"}},
		{name: "ssh URL only", path: "/hooks/gitlab", header: gl("Push Hook", secret1), body: sshOnly, wantStatus: 202, wantWoken: []string{"dc3"}},
		{name: "legacy payload", path: "/hooks/gitlab", header: gl("Push Hook", secret1), body: legacy, wantStatus: 202, wantWoken: []string{"dc2"}},
		{name: "wrong token", path: "/hooks/gitlab", header: gl("Push Hook", secret1+"x"), body: main, wantStatus: 401},
		{name: "token prefix", path: "/hooks/gitlab", header: gl("Push Hook", secret1[:4]), body: main, wantStatus: 401},
		{name: "missing token", path: "/hooks/gitlab", header: gl("Push Hook", ""), body: main, wantStatus: 401},
		{name: "tag push hook", path: "/hooks/gitlab", header: gl("Tag Push Hook", secret1), body: main, wantStatus: 204},
		{name: "invalid JSON", path: "/hooks/gitlab", header: gl("Push Hook", secret1), body: []byte("push!"), wantStatus: 400},
	})
}

func TestGiteaHook(t *testing.T) {
	e := newHookEnv(t)
	main := githubBody(t, "refs/heads/main", map[string]string{
		"clone_url": "https://git.example/org/fabrics.git", "ssh_url": "git@git.example:org/fabrics.git", "html_url": "https://git.example/org/fabrics",
	})
	gt := func(event, sig string) http.Header {
		h := headers("X-Gitea-Event", event, "Content-Type", "application/json")
		if sig != "" {
			h.Set("X-Gitea-Signature", sig)
		}
		return h
	}
	e.run(t, []hookCase{
		{name: "signed push", path: "/hooks/gitea", header: gt("push", hmacHex(secret1, main)), body: main, wantStatus: 202, wantWoken: []string{"dc1"}},
		{name: "upper-case hex", path: "/hooks/gitea", header: gt("push", strings.ToUpper(hmacHex(secret2, main))), body: main, wantStatus: 202, wantWoken: []string{"dc4"}},
		{name: "GitHub-style prefix is not Gitea's", path: "/hooks/gitea", header: gt("push", "sha256="+hmacHex(secret1, main)), body: main, wantStatus: 401},
		{name: "wrong signature", path: "/hooks/gitea", header: gt("push", hmacHex("nope", main)), body: main, wantStatus: 401},
		{name: "missing signature", path: "/hooks/gitea", header: gt("push", ""), body: main, wantStatus: 401},
		{name: "another event", path: "/hooks/gitea", header: gt("issues", hmacHex(secret1, main)), body: main, wantStatus: 204},
	})
}

func TestGenericHook(t *testing.T) {
	e := newHookEnv(t)
	auth := func(v string) http.Header { return headers("Authorization", v) }
	e.run(t, []hookCase{
		{name: "bearer token", path: "/hooks/generic/dc1", header: auth("Bearer " + secret1), wantStatus: 202, wantWoken: []string{"dc1"}},
		{name: "scheme in lower case", path: "/hooks/generic/dc4", header: auth("bearer " + secret2), body: []byte("ignored"), wantStatus: 202, wantWoken: []string{"dc4"}},
		{name: "another fabric's token", path: "/hooks/generic/dc4", header: auth("Bearer " + secret1), wantStatus: 401, wantBody: "unknown fabric or wrong token"},
		{name: "unknown fabric", path: "/hooks/generic/nope", header: auth("Bearer " + secret1), wantStatus: 401, wantBody: "unknown fabric or wrong token"},
		{name: "fabric without a secret file", path: "/hooks/generic/dc5", header: auth("Bearer " + secret1), wantStatus: 401},
		{name: "no token", path: "/hooks/generic/dc1", header: http.Header{}, wantStatus: 401},
		{name: "basic auth", path: "/hooks/generic/dc1", header: auth("Basic " + secret1), wantStatus: 401},
		{name: "empty bearer", path: "/hooks/generic/dc1", header: auth("Bearer "), wantStatus: 401},
	})
	// A wrong token and an unknown fabric are indistinguishable.
	s1, b1 := hookPost(t, e.url+"/hooks/generic/dc1", auth("Bearer wrong"), nil)
	s2, b2 := hookPost(t, e.url+"/hooks/generic/nope", auth("Bearer wrong"), nil)
	if s1 != s2 || b1 != b2 {
		t.Errorf("wrong token: %d %q; unknown fabric: %d %q; want the same answer", s1, b1, s2, b2)
	}
}

func TestHookBodyLimit(t *testing.T) {
	e := newHookEnv(t)
	big := bytes.Repeat([]byte(" "), maxHookBody+1)
	atLimit := append(githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA}), bytes.Repeat([]byte(" "), 1000)...)
	atLimit = append(atLimit, bytes.Repeat([]byte(" "), maxHookBody-len(atLimit))...)
	e.run(t, []hookCase{
		{name: "github", path: "/hooks/github", body: big, wantStatus: 413,
			header: headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret1, big))},
		{name: "gitlab", path: "/hooks/gitlab", body: big, wantStatus: 413, header: headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", secret1)},
		{name: "gitea", path: "/hooks/gitea", body: big, wantStatus: 413, header: headers("X-Gitea-Event", "push", "X-Gitea-Signature", hmacHex(secret1, big))},
		{name: "generic", path: "/hooks/generic/dc1", body: big, wantStatus: 413, header: headers("Authorization", "Bearer "+secret1)},
		{name: "exactly 1 MiB passes", path: "/hooks/github", body: atLimit, wantStatus: 202, wantWoken: []string{"dc1"},
			header: headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret1, atLimit))},
	})
}

func TestHookSecretRotation(t *testing.T) {
	e := newHookEnv(t)
	body := githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA})
	gh := func(secret string) http.Header {
		return headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret, body))
	}
	const rotated = "rotated-secret-Qw3"
	steps := []struct {
		name       string
		rotate     string // new content of dc1's secret file, "" leaves it
		path       string
		header     http.Header
		wantStatus int
	}{
		{"old secret before rotation", "", "/hooks/github", gh(secret1), 202},
		{"old secret after rotation", rotated, "/hooks/github", gh(secret1), 401},
		{"new secret", "", "/hooks/github", gh(rotated), 202},
		{"generic: new secret", "", "/hooks/generic/dc1", headers("Authorization", "Bearer "+rotated), 202},
		{"generic: old secret", "", "/hooks/generic/dc1", headers("Authorization", "Bearer "+secret1), 401},
	}
	// one.hook is the secret file of dc1, dc2 and dc3.
	own := filepath.Join(e.dir, "one.hook")
	for _, st := range steps {
		if st.rotate != "" {
			writeSecret(t, own, st.rotate)
		}
		status, b := hookPost(t, e.url+st.path, st.header, body)
		woken, _ := e.target.take()
		if status != st.wantStatus {
			t.Errorf("%s: status %d, want %d (%q)", st.name, status, st.wantStatus, b)
		}
		if wantDC1 := st.wantStatus == 202; wantDC1 != slices.Equal(woken, []string{"dc1"}) {
			t.Errorf("%s: woken %v", st.name, woken)
		}
	}
}

func TestHookUnreadableSecretIsLogged(t *testing.T) {
	e := newHookEnv(t)
	loose := filepath.Join(e.dir, "loose.hook")
	if err := os.WriteFile(loose, []byte(secret1), 0o644); err != nil {
		t.Fatal(err)
	}
	e.target.srcs[0].SecretFile = loose
	body := githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA})
	h := headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret1, body))
	status, _ := hookPost(t, e.url+"/hooks/github", h, body)
	// dc2 and dc3 still verify with secret1 but follow other branches or
	// repositories: dc1 is refused, nothing is woken.
	if woken, _ := e.target.take(); status != 204 || len(woken) != 0 {
		t.Errorf("status %d, woken %v; want 204 and nothing woken", status, woken)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "readable by every user") || !strings.Contains(logs, loose) {
		t.Errorf("the log does not say why dc1's secret was refused:\n%s", logs)
	}
}

func TestHookLogsNoSecrets(t *testing.T) {
	e := newHookEnv(t)
	body := githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA})
	wrongSig := hmacHex("attacker-guess-1", body)
	goodSig := hmacHex(secret1, body)
	calls := []struct {
		path   string
		header http.Header
	}{
		{"/hooks/github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+goodSig)},
		{"/hooks/github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+wrongSig)},
		{"/hooks/gitlab", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "attacker-guess-2")},
		{"/hooks/gitlab", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", secret2)},
		{"/hooks/generic/dc1", headers("Authorization", "Bearer attacker-guess-3")},
		{"/hooks/generic/nope", headers("Authorization", "Bearer "+secret1)},
	}
	for _, c := range calls {
		hookPost(t, e.url+c.path, c.header, gitlabBodyOr(t, c.path, body))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "level=WARN") {
		t.Fatalf("no warning logged for the refused calls:\n%s", logs)
	}
	for _, secret := range []string{secret1, secret2, goodSig, wrongSig, "attacker-guess-2", "attacker-guess-3"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows %q:\n%s", secret, logs)
		}
	}
}

// gitlabBodyOr gives GitLab its own payload shape.
func gitlabBodyOr(t *testing.T, path string, body []byte) []byte {
	if strings.Contains(path, "gitlab") {
		return gitlabBody(t, "refs/heads/main", map[string]string{"git_http_url": repoA})
	}
	return body
}

func TestHookRoutes(t *testing.T) {
	e := newHookEnv(t)
	without := serve(t, Options{})
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"GET github", "GET", e.url + "/hooks/github", 405},
		{"GET generic", "GET", e.url + "/hooks/generic/dc1", 405},
		{"unknown provider", "POST", e.url + "/hooks/bitbucket", 404},
		{"generic without a fabric", "POST", e.url + "/hooks/generic/", 404},
		{"no Hooks: github", "POST", without.URL + "/hooks/github", 404},
		{"no Hooks: generic", "POST", without.URL + "/hooks/generic/dc1", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, _ := do(t, tt.method, tt.url, nil); status != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.url, status, tt.want)
			}
		})
	}
}

func TestHookMetrics(t *testing.T) {
	e := newHookEnv(t)
	body := githubBody(t, "refs/heads/main", map[string]string{"clone_url": repoA})
	hookPost(t, e.url+"/hooks/github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex(secret1, body)), body)
	hookPost(t, e.url+"/hooks/github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hmacHex("x", body)), body)
	hookPost(t, e.url+"/hooks/github", headers("X-GitHub-Event", "ping"), nil)
	hookPost(t, e.url+"/hooks/generic/dc1", headers("Authorization", "Bearer "+secret1), nil)
	want := `# HELP fgd_webhooks_total Webhook calls by provider and result (queued, no_match, ignored, ping, unauthorized, too_large, bad_request).
# TYPE fgd_webhooks_total counter
fgd_webhooks_total{provider="generic",result="queued"} 1
fgd_webhooks_total{provider="github",result="ping"} 1
fgd_webhooks_total{provider="github",result="queued"} 1
fgd_webhooks_total{provider="github",result="unauthorized"} 1
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want), "fgd_webhooks_total"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(e.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// A second Server on the same registry (a test, a restart of the
	// HTTP side) shares the counter instead of panicking.
	again := httptest.NewServer(New(Options{Hooks: e.target, Registerer: e.reg}).Handler())
	defer again.Close()
	hookPost(t, again.URL+"/hooks/generic/dc1", headers("Authorization", "Bearer "+secret1), nil)
	if got := testutil.ToFloat64(newWebhookMetric(e.reg).WithLabelValues("generic", "queued")); got != 2 {
		t.Errorf("generic queued = %v after a call on each Server, want 2 (one shared counter)", got)
	}
}
