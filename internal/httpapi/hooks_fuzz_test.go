package httpapi

import (
	"net/url"
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
