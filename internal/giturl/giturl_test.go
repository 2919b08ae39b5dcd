package giturl

import (
	"net/url"
	"strings"
	"testing"
)

// Cases is the table of awkward remotes that every reader of git URLs must
// read alike: the git source, the config validator and the webhooks test
// their agreement with Parse on it.
var cases = []struct {
	raw  string
	want URL // raw is not compared
	key  string
}{
	{"https://git.example/org/repo.git", URL{Scheme: "https", Host: "git.example", Path: "/org/repo.git"}, "git.example/org/repo"},
	{"HTTPS://GIT.Example.:8443/Org/Repo/", URL{Scheme: "https", Host: "git.example.", Port: 8443, Path: "/Org/Repo/"}, "git.example/org/repo"},
	{"https://oauth2@git.example/org/repo", URL{Scheme: "https", User: "oauth2", Host: "git.example", Path: "/org/repo"}, "git.example/org/repo"},
	{"http://[::1]:8080/org/repo", URL{Scheme: "http", Host: "::1", Port: 8080, Path: "/org/repo"}, "::1/org/repo"},
	{"http://[::1]/org/repo.git/", URL{Scheme: "http", Host: "::1", Path: "/org/repo.git/"}, "::1/org/repo"},
	{"ssh://git@[::1]:2222/org/repo.git", URL{Scheme: "ssh", User: "git", Host: "::1", Port: 2222, Path: "/org/repo.git"}, "::1/org/repo"},
	{"ssh://git@git.example:22/org/repo", URL{Scheme: "ssh", User: "git", Host: "git.example", Port: 22, Path: "/org/repo"}, "git.example/org/repo"},
	{"git@[::1]:org/repo", URL{Scheme: "ssh", User: "git", Host: "::1", Path: "org/repo", SCP: true}, "::1/org/repo"},
	{"[::1]:org/repo.git", URL{Scheme: "ssh", Host: "::1", Path: "org/repo.git", SCP: true}, "::1/org/repo"},
	{"git@Git.Example:org/repo.git/", URL{Scheme: "ssh", User: "git", Host: "git.example", Path: "org/repo.git/", SCP: true}, "git.example/org/repo"},
	{"git.example:org/repo", URL{Scheme: "ssh", Host: "git.example", Path: "org/repo", SCP: true}, "git.example/org/repo"},
	{"git@10.0.0.1:2222/org/repo", URL{Scheme: "ssh", User: "git", Host: "10.0.0.1", Path: "2222/org/repo", SCP: true}, "10.0.0.1/2222/org/repo"},
	{"git@git.example:22:org/repo", URL{Scheme: "ssh", User: "git", Host: "git.example", Path: "22:org/repo", SCP: true}, "git.example/22:org/repo"},
	{"file:///srv/git/Repo.git", URL{Scheme: "file", Path: "/srv/git/Repo.git"}, "file:///srv/git/Repo"},
	{"file://localhost/srv/git/Repo/", URL{Scheme: "file", Path: "/srv/git/Repo/"}, "file:///srv/git/Repo"},
	{"/srv/git/repo.git", URL{Scheme: "file", Path: "/srv/git/repo.git", Local: true}, "file:///srv/git/repo"},
	{"git://git.example/org/repo.git", URL{Scheme: "git", Host: "git.example", Path: "/org/repo.git"}, "git.example/org/repo"},
}

var bad = []struct{ raw, msg string }{
	{"", "is empty"},
	{"not a url", "spaces"},
	{"just-a-word", "is neither a URL"},
	{"git@:org/repo", "is not a host name"},
	{"@git.example:org/repo", "empty user"},
	{"git@[::1]org/repo", "is neither a URL"},
	{"git@[nothost]:org/repo", "is not an IP address"},
	{"git@git.example:", "no repository path"},
	{"https://git.example/", "no repository path"},
	{"https:///org/repo", "has no host"},
	{"file://otherhost/srv/git/repo", "three slashes"},
	{"https://git.example:99999/org/repo", "port"},
	{"https://u:hunter2@git.example:x/o/r", "not a valid URL"},
	{"%zz://x", "not a valid URL"},
}

func TestParse(t *testing.T) {
	for _, tt := range cases {
		got, err := Parse(tt.raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.raw, err)
			continue
		}
		got.raw = ""
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
		if k := got.Key(); k != tt.key {
			t.Errorf("Parse(%q).Key() = %q, want %q", tt.raw, k, tt.key)
		}
	}
	for _, tt := range bad {
		_, err := Parse(tt.raw)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", tt.raw, err, tt.msg)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q): the error shows the password: %v", tt.raw, err)
		}
	}
}

func TestRedaction(t *testing.T) {
	u, err := Parse("https://git:hunter2@git.example/o/r.git")
	if err != nil {
		t.Fatal(err)
	}
	if !u.HasPassword || u.Password != "hunter2" || u.User != "git" {
		t.Errorf("userinfo: %+v", u)
	}
	if r := u.Redacted(); strings.Contains(r, "hunter2") || !strings.Contains(r, "git.example") {
		t.Errorf("Redacted() = %q", r)
	}
	for raw, want := range map[string]string{
		"https://git:hunter2@git.example/o/r.git": "https://git.example/o/r.git",
		"git@[::1]:org/repo":                      "[::1]:org/repo",
		"file:///srv/r":                           "file:///srv/r",
	} {
		u, _ := Parse(raw)
		if got := u.WithoutUser(); got != want {
			t.Errorf("WithoutUser(%q) = %q, want %q", raw, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.raw)
	}
	for _, c := range bad {
		f.Add(c.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Parse(raw)
		if err != nil {
			// An error names the URL without its password.
			if pu, perr := url.Parse(raw); perr == nil && pu.User != nil {
				if pw, ok := pu.User.Password(); ok && len(pw) >= 3 && strings.Contains(err.Error(), ":"+pw+"@") {
					t.Fatalf("Parse(%q): the error shows the password: %v", raw, err)
				}
			}
			return
		}
		if u.Key() != Key(raw) {
			t.Fatalf("Key(%q) is not stable", raw)
		}
		if u.HasPassword && len(u.Password) >= 3 && strings.Contains(u.Redacted(), ":"+u.Password+"@") {
			t.Fatalf("Redacted(%q) = %q shows the password", raw, u.Redacted())
		}
		// What GoGit gives go-git reads back as the same host, user and port.
		g, err := Parse(u.GoGit())
		if err != nil || g.Host != u.Host || g.User != u.User || g.Port != u.Port {
			t.Fatalf("GoGit(%q) = %q reads as %+v, %v; want %+v", raw, u.GoGit(), g, err, u)
		}
	})
}
