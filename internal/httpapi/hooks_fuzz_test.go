package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzHookPayload feeds arbitrary bodies to the push payload parsers, as
// JSON and as form-encoded bodies, and the URLs they find to RepoKey: none
// may panic, and what they accept must be usable.
func FuzzHookPayload(f *testing.F) {
	f.Add(githubBody(f, "refs/heads/main", map[string]string{
		"clone_url": "https://git.example/org/fabrics.git", "ssh_url": "git@git.example:org/fabrics.git",
		"html_url": "https://git.example/org/fabrics", "git_url": "git://git.example/org/fabrics.git",
	}), false)
	f.Add(gitlabBody(f, "refs/heads/dev", map[string]string{
		"git_http_url": "https://git.example/g/sub/p.git", "git_ssh_url": "ssh://git@[::1]:2222/g/sub/p", "web_url": "https://git.example/g/sub/p",
	}), false)
	f.Add([]byte(url.Values{"payload": {`{"ref":"refs/tags/v1","repository":{"clone_url":"file:///srv/r.git"}}`}}.Encode()), true)
	f.Add([]byte(`{"ref":"refs/heads/main","repository":{"clone_url":"%zz://x@y:z"},"project":{"web_url":"git@:"}}`), false)
	f.Add([]byte(`{"ref":7}`), false)
	f.Add([]byte(`null`), false)
	f.Add([]byte("payload=%7B&payload=x"), true)
	f.Fuzz(func(t *testing.T, body []byte, form bool) {
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded; charset=utf-8"
		}
		for _, p := range providers {
			ev, err := p.parse(ct, body)
			if err != nil {
				continue
			}
			if ev.ref == "" || len(ev.urls) == 0 {
				t.Fatalf("%s: accepted a push without ref or URLs: %+v", p.name, ev)
			}
			for _, u := range ev.urls {
				if u == "" {
					t.Fatalf("%s: empty URL accepted: %+v", p.name, ev)
				}
				key := RepoKey(u)
				if key != RepoKey(u) || SameRepo(u, u) != (key != "") {
					t.Fatalf("RepoKey(%q) is not stable", u)
				}
				_ = redactURL(u)
			}
		}
	})
}

// FuzzHookRequest sends whole webhook requests — any provider, event,
// credential, content type and body, signed right or not — through the
// real handler. Every answer is a deliberate one (never a 5xx or a panic),
// and a fabric is woken only when the credential is right for its secret,
// as computed here independently of the handler.
func FuzzHookRequest(f *testing.F) {
	env := newHookEnv(f)
	gh := githubBody(f, "refs/heads/main", map[string]string{"clone_url": repoA})
	gl := gitlabBody(f, "refs/heads/dev", map[string]string{"git_http_url": repoA})
	f.Add(uint8(0), "push", "", "application/json", gh, true)
	f.Add(uint8(0), "ping", "sha256=00", "application/json", gh, false)
	f.Add(uint8(1), "Push Hook", secret1, "application/json", gl, false)
	f.Add(uint8(1), "Push Hook", "", "application/json", gl, true)
	f.Add(uint8(2), "push", "", "application/x-www-form-urlencoded", []byte("payload="+url.QueryEscape(string(gh))), true)
	f.Add(uint8(3), "", "Bearer "+secret1, "", []byte("{}"), false)
	f.Add(uint8(3), "", "", "text/plain", []byte(nil), true)
	// Forms the standards allow and the handler accepts: a scheme name in
	// any case, hex digits in upper case.
	f.Add(uint8(3), "", "BeAreR  "+secret1+" ", "", []byte("{}"), false)
	f.Add(uint8(0), "push", "sha256="+strings.ToUpper(hmacHex(secret1, gh)), "application/json", gh, false)
	f.Add(uint8(2), "push", strings.ToUpper(hmacHex(secret1, gh)), "application/json", gh, false)
	f.Fuzz(func(t *testing.T, which uint8, event, cred, ctype string, body []byte, sign bool) {
		// right is the credential the provider's documentation gives for a
		// secret; fits says whether cred is that credential up to what the
		// standards leave free: hex digits in either case, the Bearer
		// scheme name in any case (RFC 7235), surrounding white space.
		var path, eventHeader, credHeader string
		right := func(secret string) string { return "" }
		fits := func(cred, want string) bool { return strings.TrimSpace(cred) == want }
		hexFits := func(cred, want string) bool { return strings.EqualFold(strings.TrimSpace(cred), want) }
		switch which % 4 {
		case 0:
			path, eventHeader, credHeader = "/hooks/github", "X-GitHub-Event", "X-Hub-Signature-256"
			right = func(secret string) string { return "sha256=" + hmacHex(secret, body) }
			fits = func(cred, want string) bool {
				got, ok := strings.CutPrefix(strings.TrimSpace(cred), "sha256=")
				return ok && hexFits(got, strings.TrimPrefix(want, "sha256="))
			}
		case 1:
			path, eventHeader, credHeader = "/hooks/gitlab", "X-Gitlab-Event", "X-Gitlab-Token"
			right = func(secret string) string { return secret }
		case 2:
			path, eventHeader, credHeader = "/hooks/gitea", "X-Gitea-Event", "X-Gitea-Signature"
			right = func(secret string) string { return hmacHex(secret, body) }
			fits = hexFits
		case 3:
			path, credHeader = "/hooks/generic/dc1", "Authorization"
			right = func(secret string) string { return "Bearer " + secret }
			fits = func(cred, want string) bool {
				f, w := strings.Fields(cred), strings.Fields(want)
				return len(f) == 2 && strings.EqualFold(f[0], w[0]) && f[1] == w[1]
			}
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if eventHeader != "" {
			req.Header.Set(eventHeader, event)
		}
		req.Header.Set(credHeader, cred)
		env.target.take()
		env.logs.Reset()
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body.String())
		}
		woken, _ := env.target.take()
		if (rec.Code == http.StatusAccepted) != (len(woken) > 0) {
			t.Fatalf("%s answered %d but woke %v", path, rec.Code, woken)
		}
		secrets := map[string]string{"dc1": secret1, "dc2": secret1, "dc3": secret1, "dc4": secret2}
		for _, name := range woken {
			s, ok := secrets[name]
			if !ok || !fits(cred, right(s)) {
				t.Fatalf("%s woke %s with credential %q, which is not right for its secret", path, name, cred)
			}
		}
	})
}
