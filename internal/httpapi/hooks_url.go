package httpapi

import (
	"strings"

	"github.com/fgdproject/fgd/internal/giturl"
)

// RepoKey returns the identity of the git repository a URL names, for
// matching a webhook's payload against the fabrics' sources (giturl's Key:
// host and path without scheme, port, userinfo, trailing "/" or ".git", so
// that https://Git.Example/org/repo.git, ssh://git@git.example:22/org/repo
// and git@git.example:org/repo are one repository; the path without case,
// since payloads carry the canonical spelling while a config may not, and a
// mistaken match costs one sync, as the fabric's own webhook secret must
// still verify). It returns "" for something that names no repository.
func RepoKey(raw string) string { return giturl.Key(strings.TrimSpace(raw)) }

// SameRepo reports whether two URLs name one repository (see RepoKey).
func SameRepo(a, b string) bool {
	ka := RepoKey(a)
	return ka != "" && ka == RepoKey(b)
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
