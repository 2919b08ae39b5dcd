package httpapi

import (
	"net/url"
	"path"
	"strings"
)

// RepoKey returns the identity of the git repository a URL names, for
// matching a webhook's payload against the fabrics' sources: host and path,
// without scheme, port, userinfo, trailing "/" or ".git", so that
// https://Git.Example/org/repo.git, ssh://git@git.example:22/org/repo and
// git@git.example:org/repo are one repository. The path is compared without
// case too: GitHub, GitLab and Gitea treat owner and repository names so,
// and payloads carry the canonical spelling while a config may not; a
// mistaken match costs one sync, since the fabric's own webhook secret must
// still verify. file:// URLs and absolute paths keep their path as is. It
// returns "" for something that names no repository.
func RepoKey(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	var host, p string
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		if strings.EqualFold(u.Scheme, "file") {
			if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
				return ""
			}
			return fileKey(u.Path)
		}
		host, p = u.Hostname(), u.Path
	case strings.HasPrefix(s, "/"):
		return fileKey(s)
	default:
		var ok bool
		if host, p, ok = scpLike(s); !ok {
			return ""
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	p = cleanRepoPath(p)
	if host == "" || p == "" {
		return ""
	}
	return host + "/" + strings.ToLower(p)
}

// SameRepo reports whether two URLs name one repository (see RepoKey).
func SameRepo(a, b string) bool {
	ka := RepoKey(a)
	return ka != "" && ka == RepoKey(b)
}

// scpLike splits the ssh form [user@]host:path, where host may be a
// bracketed IPv6 address.
func scpLike(s string) (host, p string, ok bool) {
	// A user ends at an @ before the first ":"; an @ after it is in the
	// path.
	if at, colon := strings.IndexByte(s, '@'), strings.IndexByte(s, ':'); at >= 0 && (colon < 0 || at < colon) {
		s = s[at+1:]
	}
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	host, p, ok = strings.Cut(s, ":")
	if !ok || strings.Contains(host, "/") || host == "" {
		return "", "", false
	}
	return host, p, true
}

func fileKey(p string) string {
	p = cleanRepoPath(p)
	if p == "" {
		return ""
	}
	return "file:///" + p
}

// cleanRepoPath returns p without leading and trailing slashes, dot
// segments and a trailing ".git", or "" when nothing is left.
func cleanRepoPath(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	p = strings.TrimSuffix(p, ".git")
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return ""
	}
	return p
}

// HookSource is one fabric's git source as the webhook endpoints match it.
type HookSource struct {
	// Fabric is the fabric's name.
	Fabric string
	// URL is the source's git remote, as configured.
	URL string
	// Branch is the source's branch.
	Branch string
	// SecretFile is the source's webhook_secret_file; "" for none.
	SecretFile string
}

// MatchHookSources returns, in srcs' order, the fabrics whose source is one
// of urls' repositories (see RepoKey) on branch ("" matches any branch):
// what HookTarget.HookFabrics answers, for a HookTarget built on the
// configuration.
func MatchHookSources(srcs []HookSource, urls []string, branch string) []HookFabric {
	keys := make(map[string]bool, len(urls))
	for _, u := range urls {
		if k := RepoKey(u); k != "" {
			keys[k] = true
		}
	}
	var out []HookFabric
	for _, s := range srcs {
		if keys[RepoKey(s.URL)] && (branch == "" || s.Branch == branch) {
			out = append(out, HookFabric{Name: s.Fabric, SecretFile: s.SecretFile})
		}
	}
	return out
}
