package config

import (
	"strings"

	"github.com/fgdproject/fgd/internal/giturl"
)

// gitURL checks a git remote URL and returns its transport ("https", "http",
// "ssh" or "file") and host, or "" when the URL is unusable. The URL is read
// by giturl.Parse, as the git source and the webhooks read it; this adds
// fgd's policy: the transports go-git serves (and ssh not to an IPv6
// address, which go-git cannot dial), no local paths, and no password in
// the URL (credentials belong in auth.password_file). Messages
// show the URL with any password redacted.
func (v *validator) gitURL(p, raw string) (scheme, host string) {
	if strings.TrimSpace(raw) == "" {
		v.add(p, "is required, e.g. https://git.example/org/fabric.git or git@git.example:org/fabric.git")
		return "", ""
	}
	u, err := giturl.Parse(raw)
	switch {
	case err != nil:
		v.add(p, "%s", err)
	case u.HasPassword:
		v.add(p, "%s contains a password: remove it from the URL and put it in auth.password_file", clip(u.Redacted()))
	case u.Local:
		v.add(p, "%q is neither a URL (https://, ssh://, file://) nor scp-like git@host:org/repo: write a local repository as file://%s", clip(raw), clip(raw))
	case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh" && u.Scheme != "file":
		v.add(p, "scheme %q is not supported: use https://, http://, ssh://, file:// or the scp-like git@host:org/repo", clip(u.Scheme))
	case u.Scheme == "ssh" && strings.Contains(u.Host, ":"):
		// go-git brackets the address twice when it dials ssh.
		v.add(p, "%s: fgd's git client cannot reach an IPv6 address over ssh: use a host name that resolves to it, or https://", clip(u.Redacted()))
	default:
		return u.Scheme, u.Host
	}
	return "", ""
}
