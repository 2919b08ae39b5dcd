package httpapi

import (
	"net/http"
	"slices"
)

// route is one endpoint. Patterns use net/http's method-and-path syntax: a
// "GET" pattern also answers HEAD, other methods on a known path get 405
// with an Allow header, unknown paths 404.
type route struct {
	pattern string
	handler http.Handler
	// streaming routes (server-sent events) get no write deadline; every
	// other route must answer within writeTimeout.
	streaming bool
}

// routes lists every endpoint the server answers. The REST API, events,
// webhooks and the status page add their groups here.
func (s *Server) routes() []route {
	a := s.newAPI()
	ops := s.opsRoutes()
	// With an operator token configured, a reload over HTTP needs it like
	// every other change (SIGHUP stays the local way); without one it stays
	// open on the listen address, which defaults to loopback.
	if a != nil && a.tokens.OperatorFile != "" {
		for i, r := range ops {
			if r.pattern == "POST /-/reload" {
				ops[i].handler = a.operator(func(w http.ResponseWriter, r *http.Request, _ caller) { s.reload(w, r) })
			}
		}
	}
	return slices.Concat(ops, s.hookRoutes(), s.apiRoutes(a), s.uiRoutes(a))
}

// buildHandler assembles the mux and the middleware every request passes:
// the access log and panic recovery outermost (they see every answer, 403s
// and 404s included), then the guard (connection and stream budgets, the
// Host allow-list, and no state-changing request from a browser page of
// another origin), then the routes.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		h := r.handler
		if !r.streaming {
			h = s.withWriteDeadline(h)
		}
		mux.Handle(r.pattern, h)
	}
	return s.observe(s.guard(mux))
}
