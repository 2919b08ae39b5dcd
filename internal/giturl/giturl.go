// Package giturl parses the remote URLs of git repositories, once for every
// caller: the config validator, the webhooks' repository matching and the
// git source. It accepts what git accepts for a remote: a URL with a scheme
// (https://, ssh://, file://, ...), the scp-like ssh form [user@]host:path
// (host may be a bracketed IPv6 address, git@[::1]:org/repo), and an
// absolute local path. Which of these a caller supports is its own policy.
package giturl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// URL is a parsed git remote.
type URL struct {
	// Scheme is the transport, lower case: "https", "http", "ssh", "git",
	// "file" or what else the URL names. It is "ssh" for the scp-like form
	// and "file" for a local path.
	Scheme string
	// User is the user name of the userinfo, "" for none.
	User string
	// Password is the password of the userinfo; HasPassword tells an empty
	// one from none.
	Password    string
	HasPassword bool
	// Host is the host name (lower case) or IP address, without brackets;
	// "" for file URLs.
	Host string
	// Port is the port given in the URL, 0 for none.
	Port int
	// Path is the repository path as written: absolute for URLs with a
	// scheme and local paths, as after the colon for the scp-like form.
	Path string
	// SCP is set for the scp-like form [user@]host:path, Local for a plain
	// local path.
	SCP, Local bool

	raw string
}

// Parse parses raw. Its errors name the URL without its password.
func Parse(raw string) (URL, error) {
	switch {
	case strings.TrimSpace(raw) == "":
		return URL{}, errors.New("is empty: give the repository's URL, e.g. https://git.example/org/fabric.git or git@git.example:org/fabric.git")
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return URL{}, errors.New("must not contain spaces or control characters")
	case strings.Contains(raw, "://"):
		return parseURL(raw)
	case strings.HasPrefix(raw, "/"):
		return URL{Scheme: "file", Path: raw, Local: true, raw: raw}, nil
	}
	return parseSCP(raw)
}

func parseURL(raw string) (URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the raw URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return URL{}, fmt.Errorf("is not a valid URL: %v", err)
	}
	g := URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Hostname()), Path: u.Path, raw: raw}
	if u.User != nil {
		g.User = u.User.Username()
		g.Password, g.HasPassword = u.User.Password()
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return URL{}, fmt.Errorf("%s: port %q is not a number from 1 to 65535", g.Redacted(), p)
		}
		g.Port = n
	}
	if g.Scheme == "file" {
		if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
			return URL{}, fmt.Errorf("%s: a file URL needs an absolute path, file:///path/to/repo (three slashes)", g.Redacted())
		}
		g.Host = ""
	} else if g.Host == "" {
		return URL{}, fmt.Errorf("%s has no host", g.Redacted())
	}
	if strings.Trim(g.Path, "/") == "" {
		return URL{}, fmt.Errorf("%s has no repository path", g.Redacted())
	}
	return g, nil
}

// parseSCP parses [user@]host:path as git does: a user ends at the first
// @ before the colon (an @ after it is in the path), and an IPv6 host is
// written in brackets.
func parseSCP(raw string) (URL, error) {
	notURL := fmt.Errorf("%q is neither a URL (https://, ssh://, file://) nor scp-like git@host:org/repo", raw)
	g := URL{Scheme: "ssh", SCP: true, raw: raw}
	s := raw
	if at, colon := strings.IndexByte(s, '@'), strings.IndexByte(s, ':'); at >= 0 && (colon < 0 || at < colon) {
		g.User, s = s[:at], s[at+1:]
		if g.User == "" {
			return URL{}, fmt.Errorf("%q has an empty user before @", raw)
		}
	}
	var host string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return URL{}, notURL
		}
		host, g.Path = s[1:end], s[end+2:]
		if net.ParseIP(host) == nil {
			return URL{}, fmt.Errorf("%q: %q in brackets is not an IP address", raw, host)
		}
	} else {
		var ok bool
		if host, g.Path, ok = strings.Cut(s, ":"); !ok || strings.Contains(host, "/") {
			return URL{}, notURL
		}
		if !isHostname(host) {
			return URL{}, fmt.Errorf("%q: %q is not a host name", raw, host)
		}
	}
	g.Host = strings.ToLower(host)
	if strings.Trim(g.Path, "/") == "" {
		return URL{}, fmt.Errorf("%q has no repository path after the colon", g.Redacted())
	}
	return g, nil
}

// Redacted returns the URL as written without its userinfo's password (the
// scp-like form keeps its user, which is no secret).
func (g URL) Redacted() string {
	if !g.HasPassword {
		return g.raw
	}
	u, err := url.Parse(g.raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// WithoutUser returns the URL as written without its userinfo: for messages,
// logs and metric labels.
func (g URL) WithoutUser() string {
	switch {
	case g.SCP:
		if g.User == "" {
			return g.raw
		}
		return g.raw[len(g.User)+1:]
	case g.Local:
		return g.raw
	}
	u, err := url.Parse(g.raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// GoGit returns the URL in a form go-git's endpoint parser reads as Parse
// does. It is the URL as written, except for the scp-like forms go-git
// misreads: an IPv6 host, which it cannot split, and a path that starts
// with digits and a colon, which it takes for a port. Those become
// ssh://user@host/path (the path made absolute, which the hosting servers
// resolve alike).
func (g URL) GoGit() string {
	if !g.SCP || !strings.Contains(g.Host, ":") && !digitsColon(g.Path) {
		return g.raw
	}
	host := g.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u := url.URL{Scheme: "ssh", Host: host, Path: "/" + strings.TrimPrefix(g.Path, "/")}
	if g.User != "" {
		u.User = url.User(g.User)
	}
	return u.String()
}

// digitsColon reports whether p starts with 1 to 5 digits and a colon.
func digitsColon(p string) bool {
	i := strings.IndexByte(p, ':')
	if i < 1 || i > 5 {
		return false
	}
	return !strings.ContainsFunc(p[:i], func(r rune) bool { return r < '0' || r > '9' })
}

// Key returns the identity of the repository, for telling whether two URLs
// name one: host and path, without scheme, port, userinfo, trailing "/" or
// ".git". The path is compared without case too: GitHub, GitLab and Gitea
// treat owner and repository names so. File URLs and local paths keep their
// path as is and are "file:///path". It is "" when the path names nothing.
func (g URL) Key() string {
	p := strings.Trim(path.Clean("/"+g.Path), "/")
	p = strings.Trim(strings.TrimSuffix(p, ".git"), "/")
	if p == "" || p == "." {
		return ""
	}
	if g.Scheme == "file" {
		return "file:///" + p
	}
	host := strings.TrimSuffix(g.Host, ".")
	if host == "" {
		return ""
	}
	return host + "/" + strings.ToLower(p)
}

// Key is the Key of raw's parse, "" when it does not parse.
func Key(raw string) string {
	g, err := Parse(raw)
	if err != nil {
		return ""
	}
	return g.Key()
}

// isHostname reports whether s is a DNS name (a trailing dot allowed) or an
// IPv4 address.
func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(strings.ToLower(s), "."), ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for i, r := range label {
			alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
			if !alnum && (r != '-' || i == 0 || i == len(label)-1) {
				return false
			}
		}
	}
	return true
}
