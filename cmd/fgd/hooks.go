package main

import (
	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/httpapi"
)

// hookTarget answers the webhook endpoints from the configuration in force.
// A verified push does not sync a fabric directly: it makes the poller of
// the fabric's repository poll now, so the fabrics whose paths the push
// touched sync, exactly as a poll would have found (and fgd's own pushes
// wake nobody).
type hookTarget struct{ d *daemon }

var _ httpapi.HookTarget = hookTarget{}

func (h hookTarget) sources() []httpapi.HookSource {
	var out []httpapi.HookSource
	for _, f := range h.d.cur.Load().Fabrics {
		if g := f.Source.Git; g != nil && !f.Suspended {
			out = append(out, httpapi.HookSource{Fabric: f.Name, URL: g.URL, Branch: g.Branch, SecretFile: g.WebhookSecretFile})
		}
	}
	return out
}

func (h hookTarget) HookFabrics(urls []string, branch string) []httpapi.HookFabric {
	return httpapi.MatchHookSources(h.sources(), urls, branch)
}

func (h hookTarget) HookFabric(name string) (httpapi.HookFabric, bool) {
	for _, s := range h.sources() {
		if s.Fabric == name {
			return httpapi.HookFabric{Name: s.Fabric, SecretFile: s.SecretFile}, true
		}
	}
	return httpapi.HookFabric{}, false
}

func (h hookTarget) Wake(fabric, detail string) {
	f, ok := h.d.cur.Load().Fabric(fabric)
	if !ok || f.Source.Git == nil {
		return
	}
	h.d.log.Info("webhook received, polling now", "fabric", fabric, "detail", detail)
	recordAudit(h.d.audit, h.d.log, audit.Entry{Actor: "webhook", Action: "webhook", Fabric: fabric, Outcome: audit.OutcomeAccepted, Detail: detail})
	h.d.git.Kick(f.Source.Git.URL, f.Source.Git.Branch)
}
