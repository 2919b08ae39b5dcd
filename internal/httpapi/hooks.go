package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/prometheus/client_golang/prometheus"
)

// maxHookBody bounds a webhook's body: push payloads are tens of KiB.
const maxHookBody = 1 << 20

// HookTarget is what the webhook endpoints need from the daemon.
type HookTarget interface {
	// HookFabrics returns the fabrics whose git source is one of the
	// repositories urls name (compared with RepoKey; MatchHookSources does
	// it) on branch ("" matches any branch), each with its webhook secret
	// file ("" when none is configured).
	HookFabrics(urls []string, branch string) []HookFabric
	// HookFabric looks up one fabric by name, for /hooks/generic/{fabric}.
	HookFabric(name string) (HookFabric, bool)
	// Wake queues a sync of the fabric without blocking; detail says which
	// hook called and from where, for the log and the audit record.
	Wake(fabric string, detail string)
}

// HookFabric is a fabric a webhook may wake.
type HookFabric struct {
	// Name is the fabric's name.
	Name string
	// SecretFile is the fabric's webhook_secret_file, read on every
	// request so a rotated secret needs no restart; "" means none, and
	// then no webhook can wake the fabric.
	SecretFile string
}

// queuedBody is the JSON of a 202 answer.
type queuedBody struct {
	Queued []string `json:"queued"`
}

// Results of a webhook call, the result label of fgd_webhooks_total.
const (
	hookQueued       = "queued"       // 202: syncs queued
	hookNoMatch      = "no_match"     // 204: verified, but no fabric's branch
	hookIgnored      = "ignored"      // 204: an event other than a push
	hookPing         = "ping"         // 200
	hookUnauthorized = "unauthorized" // 401
	hookTooLarge     = "too_large"    // 413
	hookBadRequest   = "bad_request"  // 400
)

// hooks serves the webhook endpoints.
type hooks struct {
	target HookTarget
	logger *slog.Logger
	total  *prometheus.CounterVec
}

// hookRoutes are the webhook endpoints, served when Options.Hooks is set.
func (s *Server) hookRoutes() []route {
	if s.opts.Hooks == nil {
		return nil
	}
	h := &hooks{target: s.opts.Hooks, logger: s.logger, total: newWebhookMetric(s.opts.Registerer)}
	rs := []route{{pattern: "POST /hooks/generic/{fabric}", handler: http.HandlerFunc(h.generic)}}
	for _, p := range providers {
		rs = append(rs, route{pattern: "POST /hooks/" + p.name, handler: h.forProvider(p)})
	}
	return rs
}

// newWebhookMetric returns fgd_webhooks_total{provider,result}, registered
// on reg when reg is not nil (the one registered first when this is the
// second Server on reg).
func newWebhookMetric(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fgd_webhooks_total",
		Help: "Webhook calls by provider and result (queued, no_match, ignored, ping, unauthorized, too_large, bad_request).",
	}, []string{"provider", "result"})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		// Only a programming error gets here: another metric of this
		// name with other labels.
		panic(err)
	}
	return c
}

// forProvider serves one git host's push webhook: the body is read (1 MiB
// at most), the payload names the repository, and each fabric of that
// repository whose webhook secret verifies the call, and whose branch was
// pushed, is woken.
func (h *hooks) forProvider(p provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := h.readBody(w, r, p.name)
		if !ok {
			return
		}
		switch event := r.Header.Get(p.eventHeader); {
		case event == "":
			h.answer(w, p.name, hookBadRequest, http.StatusBadRequest,
				fmt.Sprintf("missing %s header: is this a %s webhook?\n", p.eventHeader, p.title))
			return
		case p.pingEvent != "" && event == p.pingEvent:
			h.logger.Info("webhook ping received", "provider", p.name, "remote", r.RemoteAddr)
			h.answer(w, p.name, hookPing, http.StatusOK, "pong\n")
			return
		case event != p.pushEvent:
			h.logger.Debug("webhook event ignored: only pushes trigger a sync", "provider", p.name, "event", clip(event), "remote", r.RemoteAddr)
			h.answer(w, p.name, hookIgnored, http.StatusNoContent, "")
			return
		}
		cred := r.Header.Get(p.credHeader)
		if !p.wellFormed(cred) {
			h.logger.Warn("webhook refused: "+p.credHeader+" header missing or malformed",
				"provider", p.name, "remote", r.RemoteAddr, "expected", p.credShape)
			h.unauthorized(w, p.name, "webhook refused: "+p.credHeader+" missing or malformed\n")
			return
		}
		ev, err := p.parse(r.Header.Get("Content-Type"), body)
		if err != nil {
			// Before any verification, since only the payload says which
			// fabrics' secrets to try; the answer reveals no secret and no
			// fabric.
			h.logger.Warn("webhook refused: payload not understood", "provider", p.name, "remote", r.RemoteAddr, "err", err)
			h.answer(w, p.name, hookBadRequest, http.StatusBadRequest,
				fmt.Sprintf("%s push payload not understood: %v\n", p.title, err))
			return
		}
		verified := h.verify(r, p, ev, body, cred)
		if len(verified) == 0 {
			h.unauthorized(w, p.name, "webhook refused: the "+p.credHeader+" does not verify with the webhook secret of this repository\n")
			return
		}
		branch, isBranch := strings.CutPrefix(ev.ref, "refs/heads/")
		var woken []string
		if isBranch && branch != "" {
			for _, f := range h.target.HookFabrics(ev.urls, branch) {
				if slices.Contains(verified, f.Name) && !slices.Contains(woken, f.Name) {
					woken = append(woken, f.Name)
				}
			}
		}
		if len(woken) == 0 {
			h.logger.Info("webhook verified, but no fabric follows the pushed ref; nothing to sync",
				"provider", p.name, "repository", redactURL(ev.urls[0]), "ref", clip(ev.ref), "verified_by", verified)
			h.answer(w, p.name, hookNoMatch, http.StatusNoContent, "")
			return
		}
		slices.Sort(woken)
		detail := fmt.Sprintf("%s webhook: push to %s from %s", p.name, clip(ev.ref), r.RemoteAddr)
		if id := deliveryID(r.Header.Get(p.deliveryHeader)); id != "" {
			detail += " (delivery " + id + ")"
		}
		for _, name := range woken {
			h.logger.Info("webhook queued a sync", "fabric", name, "provider", p.name, "ref", clip(ev.ref), "remote", r.RemoteAddr)
			h.target.Wake(name, detail)
		}
		h.total.WithLabelValues(p.name, hookQueued).Inc()
		writeJSON(w, http.StatusAccepted, queuedBody{Queued: woken})
	})
}

// verify returns the names of the fabrics of ev's repository (on any
// branch) whose webhook secret authenticates the call, logging why each
// other one does not.
func (h *hooks) verify(r *http.Request, p provider, ev pushEvent, body []byte, cred string) []string {
	cands := h.target.HookFabrics(ev.urls, "")
	if len(cands) == 0 {
		h.logger.Warn("webhook refused: no fabric's git source is this repository (compare source.git.url in the config with the repository's URL)",
			"provider", p.name, "remote", r.RemoteAddr, "repository", redactURL(ev.urls[0]))
		return nil
	}
	var verified, wrong []string
	for _, f := range cands {
		if f.SecretFile == "" {
			h.logger.Warn("webhook cannot wake fabric: it has no webhook secret; set source.git.webhook_secret_file to enable webhooks",
				"fabric", f.Name, "provider", p.name)
			continue
		}
		secret, err := config.ReadSecret(f.SecretFile)
		if err != nil {
			h.logger.Warn("webhook cannot wake fabric: its webhook secret cannot be read", "fabric", f.Name, "provider", p.name, "err", err)
			continue
		}
		if p.verify(secret, body, cred) {
			verified = append(verified, f.Name)
		} else {
			wrong = append(wrong, f.Name)
		}
	}
	switch {
	case len(verified) > 0:
	case len(wrong) == 0:
		h.logger.Warn("webhook refused: no fabric of this repository has a readable webhook secret (see the warnings above)",
			"provider", p.name, "remote", r.RemoteAddr, "repository", redactURL(ev.urls[0]))
	default:
		h.logger.Warn("webhook refused: "+p.credHeader+" does not verify with the webhook secret of any fabric of this repository (is the secret in the "+p.title+" webhook settings the content of webhook_secret_file?)",
			"provider", p.name, "remote", r.RemoteAddr, "repository", redactURL(ev.urls[0]), "fabrics", wrong)
	}
	return verified
}

// generic serves /hooks/generic/{fabric}: a bearer token equal to the
// fabric's webhook secret wakes it. An unknown fabric gets the same 401 as
// a wrong token, so names cannot be probed.
func (h *hooks) generic(w http.ResponseWriter, r *http.Request) {
	const name = "generic"
	if _, ok := h.readBody(w, r, name); !ok {
		return
	}
	fabric := r.PathValue("fabric")
	refuse := func(msg string, args ...any) {
		h.logger.Warn("webhook refused: "+msg, append([]any{"provider", name, "fabric", clip(fabric), "remote", r.RemoteAddr}, args...)...)
		w.Header().Set("WWW-Authenticate", `Bearer realm="fgd"`)
		h.unauthorized(w, name, "webhook refused: unknown fabric or wrong token\n")
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		refuse("no Authorization: Bearer header")
		return
	}
	f, ok := h.target.HookFabric(fabric)
	if !ok {
		refuse("no such fabric")
		return
	}
	if f.SecretFile == "" {
		refuse("the fabric has no webhook secret; set source.git.webhook_secret_file to enable webhooks")
		return
	}
	secret, err := config.ReadSecret(f.SecretFile)
	if err != nil {
		refuse("the fabric's webhook secret cannot be read", "err", err)
		return
	}
	if !equalSecret(token, secret) {
		refuse("the bearer token is not the fabric's webhook secret")
		return
	}
	h.logger.Info("webhook queued a sync", "fabric", f.Name, "provider", name, "remote", r.RemoteAddr)
	h.target.Wake(f.Name, fmt.Sprintf("generic webhook from %s", r.RemoteAddr))
	h.total.WithLabelValues(name, hookQueued).Inc()
	writeJSON(w, http.StatusAccepted, queuedBody{Queued: []string{f.Name}})
}

// readBody reads the whole body, at most maxHookBody bytes; past that it
// answers 413 and returns false.
func (h *hooks) readBody(w http.ResponseWriter, r *http.Request, provider string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err == nil {
		return body, true
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		h.logger.Warn("webhook refused: body larger than 1 MiB", "provider", provider, "remote", r.RemoteAddr)
		h.answer(w, provider, hookTooLarge, http.StatusRequestEntityTooLarge, "webhook body larger than 1 MiB\n")
		return nil, false
	}
	h.answer(w, provider, hookBadRequest, http.StatusBadRequest, "reading the webhook body failed: "+err.Error()+"\n")
	return nil, false
}

func (h *hooks) unauthorized(w http.ResponseWriter, provider, msg string) {
	h.answer(w, provider, hookUnauthorized, http.StatusUnauthorized, msg)
}

// answer counts the call and writes a plain-text answer (none for 204).
func (h *hooks) answer(w http.ResponseWriter, provider, result string, status int, msg string) {
	h.total.WithLabelValues(provider, result).Inc()
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeText(w, status, msg)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// redactURL returns a payload's repository URL fit for the log: without a
// password, and short.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && strings.Contains(raw, "://") {
		raw = u.Redacted()
	}
	return clip(raw)
}

// deliveryID returns a delivery header's value when it looks like an ID
// (letters, digits, "-"), or "".
func deliveryID(v string) string {
	if v == "" || len(v) > 64 || strings.ContainsFunc(v, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-'
	}) {
		return ""
	}
	return v
}

// clip shortens a caller-supplied value for the log.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
