package httpapi

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/fgdproject/fgd/internal/audit"
)

// opsPaths answer whatever the load: probes and scrapers must see a
// saturated daemon as alive. They change nothing and hold no secret.
var opsPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// anyHost reports whether path answers requests of any Host: the
// operational endpoints (probes and scrapers use whatever name they know
// the host by) and the webhooks (git hosts call them through proxies with
// arbitrary Host headers; every call is verified by its secret).
func anyHost(path string) bool {
	return opsPaths[path] || strings.HasPrefix(path, "/hooks/")
}

// maxBodyBytes bounds every request body, above the webhooks' own limit
// (maxHookBody).
const maxBodyBytes = 2 << 20

// streamRetryAfter is the Retry-After of a stream refused past
// api.max_event_streams: streams end only when their clients go, so a
// retry at once would find the budget full again.
const streamRetryAfter = "5"

// budget is a counting semaphore that never blocks: a request that finds
// it full is answered 503 at once.
type budget chan struct{}

func (b budget) take() bool {
	select {
	case b <- struct{}{}:
		return true
	default:
		return false
	}
}

func (b budget) give() { <-b }

// guard is the outer middleware of the server's limits: it marks the
// connection busy while a handler runs (so the connection cap evicts only
// idle ones), keeps requests other than /healthz, /readyz and /metrics
// within their share of the connections, and refuses Host headers and
// browser origins that are not the daemon's own names.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc := connFrom(r.Context()); lc != nil {
			lc.enter()
			defer lc.leave()
		}
		// No endpoint reads more than a webhook's 1 MiB; the handlers
		// that read bodies answer 413 past their own limits.
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if opsPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		if !s.requests.take() {
			s.shedRequest(w, shedBusy, "1", "fgd is answering as many requests as api.max_connections allows")
			return
		}
		defer s.requests.give()
		if !anyHost(r.URL.Path) && !s.hostAllowed(r.Host) {
			s.refuseRequest(w, r, http.StatusMisdirectedRequest, "Host not allowed",
				"fgd does not answer to the host name "+strconv.Quote(clip(r.Host)),
				"call fgd by its listen address or localhost, or add the name to api.allowed_hosts and restart fgd")
			return
		}
		if !safeMethod(r.Method) && !s.originAllowed(r) {
			s.refuseRequest(w, r, http.StatusForbidden, "cross-origin request",
				"cross-origin requests are refused",
				"call fgd from its own pages or without a browser (curl, fgd sync); add a proxy's name to api.allowed_hosts")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// shedRequest answers 503 with Retry-After to a request past a budget.
func (s *Server) shedRequest(w http.ResponseWriter, reason, retryAfter, msg string) {
	if s.limiter != nil {
		s.limiter.note(reason)
	} else if s.shed != nil {
		s.shed.WithLabelValues(reason).Inc()
	}
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusServiceUnavailable, msg, "retry after "+retryAfter+"s; raise api.max_connections or api.max_event_streams if this is regular load")
}

// refuseRequest answers a request refused by the Host or origin check and
// counts it in the audit log's rejected requests.
func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request, status int, why, msg, remediation string) {
	level := slog.LevelDebug
	if s.noteRejected(r, audit.ActorAnonymous, status, why) {
		level = slog.LevelInfo
	}
	s.logger.Log(r.Context(), level, "HTTP request refused", "status", status, "reason", why, "method", r.Method,
		"path", clip(r.URL.Path), "host", clip(r.Host), "remote", r.RemoteAddr)
	writeError(w, status, msg, remediation)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// hostAllowed reports whether a Host header names the daemon: the listen
// address, localhost, 127.0.0.1 or [::1] with the listen port (any port
// while the server is not listening itself, as when its handler is
// embedded), or an api.allowed_hosts entry.
func (s *Server) hostAllowed(hostport string) bool {
	host, port := splitHost(hostport)
	if host == "" {
		return false
	}
	if port == "" {
		port = "80" // fgd serves plain HTTP
	}
	for _, a := range s.opts.AllowedHosts {
		ah, ap := splitHost(a)
		if host == ah && (ap == "" || ap == port) {
			return true
		}
	}
	listenHost, listenPort := s.listenHostPort()
	if listenPort != "" && port != listenPort {
		return false
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return listenHost != "" && host == listenHost && !isWildcard(listenHost)
}

// originAllowed reports whether a state-changing request may come from its
// browser context. A browser page of another origin must not change
// anything; requests without browser headers (curl, fgd's CLI, webhooks)
// pass. An Origin must name an allowed host (see hostAllowed), which the
// page's own origin does behind an allowed proxy; without one, the fetch
// must not be cross-site or same-site (a sibling domain).
func (s *Server) originAllowed(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return false // "null" and the like: an opaque origin
		}
		return s.hostAllowed(u.Host)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// listenHostPort returns the configured listen host (lower case) and the
// bound port, or "" for the port when the server does not listen.
func (s *Server) listenHostPort() (host, port string) {
	addr := s.Addr()
	if addr == nil {
		return "", ""
	}
	h, _ := splitHost(s.opts.Listen)
	if ta, ok := addr.(*net.TCPAddr); ok {
		return h, strconv.Itoa(ta.Port)
	}
	return h, ""
}

// splitHost splits a Host header (or an allowed_hosts entry) into a lower
// case host without brackets or trailing dot, and its port ("" when none).
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), port
}

func isWildcard(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// noteRejected counts a rejected request for the audit log: per caller and
// minute in Options.Rejected, or as a line of its own in Options.Audit
// without one. It reports whether the request deserves a log line at info
// level: the caller's first rejection of the minute, so a flood cannot
// drown the daemon's log (and journald's rate limit with it).
func (s *Server) noteRejected(r *http.Request, actor string, status int, why string) bool {
	e := audit.Entry{
		Actor:   actor,
		Remote:  r.RemoteAddr,
		Action:  audit.ActionRejected,
		Fabric:  clip(r.PathValue("name")),
		Outcome: audit.OutcomeRejected,
		Detail:  clip(r.Method+" "+r.URL.Path) + ": " + http.StatusText(status) + ": " + why,
	}
	switch {
	case s.opts.Rejected != nil:
		return s.opts.Rejected.Note(e, strconv.Itoa(status)+" "+why)
	case s.opts.Audit != nil:
		if err := s.opts.Audit.Record(e); err != nil {
			s.logger.Error("audit log write failed; the operation itself went ahead", "action", e.Action, "err", err)
		}
	}
	return true
}
