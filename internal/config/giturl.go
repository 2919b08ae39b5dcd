package config

import (
	"errors"
	"net/url"
	"strings"
)

// gitURL checks a git remote URL and returns its transport ("https", "http",
// "ssh" or "file") and host, or "" when the URL is unusable. Messages show the URL
// with any password redacted, and a URL carrying a password is refused:
// credentials belong in auth.password_file.
func (v *validator) gitURL(p, raw string) (scheme, host string) {
	switch {
	case raw == "":
		v.add(p, "is required, e.g. https://git.example/org/fabric.git or git@git.example:org/fabric.git")
		return "", ""
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		v.add(p, "must not contain spaces or control characters")
		return "", ""
	}
	if !strings.Contains(raw, "://") {
		return v.scpURL(p, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the raw URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		v.add(p, "is not a valid URL: %v", err)
		return "", ""
	}
	scheme = strings.ToLower(u.Scheme)
	if _, ok := u.User.Password(); ok {
		v.add(p, "%s contains a password: remove it from the URL and put it in auth.password_file", clip(u.Redacted()))
		return "", ""
	}
	switch scheme {
	case "https", "http", "ssh":
		if u.Host == "" || u.Hostname() == "" {
			v.add(p, "%s has no host", clip(u.Redacted()))
			return "", ""
		}
		if strings.Trim(u.Path, "/") == "" {
			v.add(p, "%s has no repository path", clip(u.Redacted()))
			return "", ""
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			v.add(p, "%s: a file URL needs an absolute path, file:///path/to/repo (three slashes)", clip(u.Redacted()))
			return "", ""
		}
		if strings.Trim(u.Path, "/") == "" {
			v.add(p, "%s has no repository path", clip(u.Redacted()))
			return "", ""
		}
	default:
		v.add(p, "scheme %q is not supported: use https://, http://, ssh://, file:// or the scp-like git@host:org/repo", clip(u.Scheme))
		return "", ""
	}
	return scheme, u.Hostname()
}

// scpURL checks the scp-like ssh form [user@]host:path.
func (v *validator) scpURL(p, raw string) (scheme, host string) {
	hostPart, repo, ok := strings.Cut(raw, ":")
	if !ok || strings.Contains(hostPart, "/") {
		v.add(p, "%q is neither a URL (https://, ssh://, file://) nor scp-like git@host:org/repo", clip(raw))
		return "", ""
	}
	user, host, hasUser := strings.Cut(hostPart, "@")
	if !hasUser {
		host, user = user, ""
	}
	switch {
	case hasUser && user == "":
		v.add(p, "%q has an empty user before @", clip(raw))
	case host == "" || !isHostname(strings.ToLower(host)):
		v.add(p, "%q: %q is not a host name", clip(raw), clip(host))
	case strings.Trim(repo, "/") == "":
		v.add(p, "%q has no repository path after the colon", clip(raw))
	default:
		return "ssh", host
	}
	return "", ""
}
