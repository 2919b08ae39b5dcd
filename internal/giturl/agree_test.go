package giturl_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/giturl"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/sources/git"
)

// TestCallersAgree checks that the three readers of remote URLs read the
// awkward ones as Parse does: the webhooks match repositories by Parse's
// Key, the config validator accepts exactly what Parse accepts (within its
// policy: the transports go-git serves, no local paths, no ssh to an IPv6
// address), and the git source
// hands go-git a URL go-git reads as the same endpoint.
func TestCallersAgree(t *testing.T) {
	for _, c := range giturl.Cases() {
		t.Run(c.Raw, func(t *testing.T) {
			if got := httpapi.RepoKey(c.Raw); got != c.Key {
				t.Errorf("webhooks: RepoKey = %q, want %q", got, c.Key)
			}
			// Policy: no local paths, no git://, no ssh to an IPv6 address
			// (go-git cannot dial it).
			supported := !c.Want.Local && c.Want.Scheme != "git" && (c.Want.Scheme != "ssh" || !strings.Contains(c.Want.Host, ":"))
			if msg := configURLError(t, c.Raw); (msg == "") != supported {
				t.Errorf("config: error %q, want one: %v", msg, !supported)
			}
			_, ep, err := git.Endpoint(c.Raw)
			if err != nil {
				t.Fatalf("git source: %v", err)
			}
			w := c.Want
			if ep.Protocol != w.Scheme || ep.User != w.User || w.Scheme != "file" && !sameHost(ep.Host, w.Host) ||
				w.Port != 0 && ep.Port != w.Port || strings.TrimPrefix(ep.Path, "/") != strings.TrimPrefix(w.Path, "/") {
				t.Errorf("git source: go-git's endpoint %s %q@%q:%d %q, Parse's %s %q@%q:%d %q",
					ep.Protocol, ep.User, ep.Host, ep.Port, ep.Path, w.Scheme, w.User, w.Host, w.Port, w.Path)
			}
		})
	}
	for _, raw := range giturl.Bad() {
		if k := httpapi.RepoKey(raw); k != "" {
			t.Errorf("webhooks: RepoKey(%q) = %q, want none", raw, k)
		}
		if raw != "" && configURLError(t, raw) == "" {
			t.Errorf("config: %q accepted", raw)
		}
		if _, _, err := git.Endpoint(raw); err == nil {
			t.Errorf("git source: %q accepted", raw)
		}
	}
}

// configURLError validates a configuration whose one fabric has the remote
// raw, and returns the problem reported for its url ("" for none).
func configURLError(t *testing.T, raw string) string {
	t.Helper()
	yaml := fmt.Sprintf("fabrics:\n  - name: f\n    source:\n      git: {url: %q}\n", raw)
	_, err := config.Parse([]byte(yaml), "fgd.yaml", t.TempDir())
	var verr *config.ValidationError
	if err != nil && !errors.As(err, &verr) {
		t.Fatalf("config: %v", err)
	}
	if verr == nil {
		return ""
	}
	for _, fe := range verr.Errors {
		if fe.Path == "fabrics[0].source.git.url" {
			return fe.Message
		}
	}
	return ""
}

// sameHost compares go-git's host, which keeps an IPv6 address's brackets
// and the URL's case, with Parse's.
func sameHost(goGit, parsed string) bool {
	return strings.EqualFold(strings.TrimSuffix(strings.TrimPrefix(goGit, "["), "]"), parsed)
}
