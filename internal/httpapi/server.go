// Package httpapi serves fgd's HTTP surface: the operational endpoints
// (/healthz, /readyz, /metrics, /-/reload) and, as they are added, the REST
// API, server-sent events, webhooks and the status page (SPEC §6).
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/prometheus/client_golang/prometheus"
)

// Timeouts and limits of the HTTP server. The write deadline is set per
// request (see route.streaming) rather than as http.Server.WriteTimeout, so
// that server-sent event streams can stay open.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds reading a whole request. net/http clears the read
	// deadline once a handler has consumed the body, so long-lived
	// responses are not cut by it.
	readTimeout    = 30 * time.Second
	writeTimeout   = 30 * time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10

	// DefaultShutdownTimeout bounds the graceful shutdown when
	// Options.ShutdownTimeout is zero.
	DefaultShutdownTimeout = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Listen is the host:port to listen on, e.g. "127.0.0.1:9477".
	Listen string
	// Gatherer is what /metrics serves; nil leaves /metrics unserved (404).
	Gatherer prometheus.Gatherer
	// Readiness reports each fabric's readiness for /readyz; a fabric is
	// ready once it has had its first sync attempt. nil means no fabrics
	// (ready).
	Readiness func() []FabricReadiness
	// Reload re-reads the configuration for POST /-/reload; nil leaves the
	// endpoint unserved (404).
	Reload func(ctx context.Context) error
	// Notices are the daemon's conditions an operator must see on the
	// status page (a rejected config reload, a stalled fabric); nil means
	// none. Open circuits the page reads from the store itself.
	Notices func() []Notice
	// Logger receives the access log (debug), panics and server errors;
	// nil discards.
	Logger *slog.Logger
	// ShutdownTimeout bounds the graceful shutdown in Run; zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Hooks is what the webhook endpoints (/hooks/...) match and wake;
	// nil leaves them unserved (404).
	Hooks HookTarget
	// Registerer receives the server's own metrics (fgd_webhooks_total);
	// nil leaves them unregistered.
	Registerer prometheus.Registerer
	// State is what the REST API (/api/v1/...) and the event stream read;
	// nil leaves them unserved (404).
	State *state.Store
	// Controller is what the mutating API calls (sync, suspend, resume)
	// ask; nil leaves them unserved (404).
	Controller Controller
	// Tokens are the API's bearer token files.
	Tokens Tokens
	// Audit receives a line for every mutating API call and every
	// rejected API request; nil records none.
	Audit *audit.Log
	// EventHeartbeat is the interval of the event stream's keep-alive
	// comments; zero means 15s.
	EventHeartbeat time.Duration
	// Rejected counts rejected requests (bad tokens, foreign Host
	// headers, cross-origin writes) per caller and minute; nil writes
	// each one to Audit instead.
	Rejected *audit.Rejections
	// MaxConnections caps the connections held at once (see
	// connLimiter); zero means DefaultMaxConnections.
	MaxConnections int
	// MaxEventStreams caps the event streams and long polls open at once;
	// zero means DefaultMaxEventStreams.
	MaxEventStreams int
	// AllowedHosts are the Host header values answered besides the
	// listen address and loopback names (see hostAllowed).
	AllowedHosts []string
}

// Server is fgd's HTTP server. Create it with New, then either call Run, or
// Listen first (to learn the bound address, or fail early) and then Run.
type Server struct {
	opts            Options
	logger          *slog.Logger
	handler         http.Handler
	srv             *http.Server
	shutdownTimeout time.Duration
	// writeTimeout is the per-request write deadline of non-streaming
	// routes; a field so tests can shorten it.
	writeTimeout time.Duration

	// requests bounds the requests in flight other than /healthz,
	// /readyz and /metrics, which keep the rest of the connections;
	// streams bounds the event streams and long polls.
	requests, streams budget
	shed              *prometheus.CounterVec

	mu      sync.Mutex
	ln      net.Listener
	limiter *connLimiter
}

// opsReserve is the share of the connections kept for /healthz, /readyz
// and /metrics: 1/16, at least 1.
func opsReserve(maxConns int) int { return max(1, maxConns/16) }

// New builds a Server from opts; it does not listen yet.
func New(opts Options) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:            opts,
		logger:          logger,
		shutdownTimeout: opts.ShutdownTimeout,
		writeTimeout:    writeTimeout,
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = DefaultShutdownTimeout
	}
	if s.opts.MaxConnections <= 0 {
		s.opts.MaxConnections = DefaultMaxConnections
	}
	if s.opts.MaxEventStreams <= 0 {
		s.opts.MaxEventStreams = DefaultMaxEventStreams
	}
	s.requests = make(budget, s.opts.MaxConnections-opsReserve(s.opts.MaxConnections))
	s.streams = make(budget, s.opts.MaxEventStreams)
	s.shed = newShedMetric(opts.Registerer)
	s.handler = s.buildHandler()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnContext:       connContext,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the complete HTTP handler (routes and middleware), for
// tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the listening socket. It fails at once, naming the address,
// when the port is taken. Calling it again after a success does nothing.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("http: listen on %s: address already in use: another process (another fgd?) holds this port; stop it or set `listen:` in the config to a free host:port: %w",
				s.opts.Listen, err)
		}
		return fmt.Errorf("http: listen on %s: %w (check `listen:` in the config)", s.opts.Listen, err)
	}
	s.limiter = newConnLimiter(ln, s.opts.MaxConnections, s.shed, s.logger)
	s.ln = s.limiter
	return nil
}

// OpenConnections returns how many connections the server holds now.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limiter == nil {
		return 0
	}
	return s.limiter.open()
}

// Addr returns the bound address, or nil before Listen has succeeded.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run listens (unless Listen already did) and serves until ctx is done, then
// shuts down gracefully: it stops accepting, lets in-flight requests finish
// for at most the shutdown timeout, then closes the remaining connections.
// It returns nil after a shutdown, or the error that stopped serving.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()

	s.logger.Info("http server listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("http: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	// Shutdown needs its own deadline: ctx is already done.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.logger.Warn("http requests still running after the shutdown timeout; closing their connections",
			"timeout", s.shutdownTimeout, "err", err)
		if cerr := s.srv.Close(); cerr != nil {
			s.logger.Warn("http server close", "err", cerr)
		}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: serve on %s: %w", ln.Addr(), err)
	}
	s.logger.Info("http server stopped", "addr", ln.Addr().String())
	return nil
}
