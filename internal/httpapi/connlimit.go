package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the connection caps when Options leave them zero (the
// config's defaults).
const (
	DefaultMaxConnections  = 1024
	DefaultMaxEventStreams = 256
)

// Bounds of the answers to connections past the cap.
const (
	// refusers bounds the goroutines answering refused connections; past
	// it a refused connection is closed without an answer.
	refusers = 64
	// refuseTimeout bounds writing the 503 and draining the request.
	refuseTimeout = 2 * time.Second
	// shedLogEvery keeps the warning about shed connections to one line
	// per interval, however hard the flood.
	shedLogEvery = time.Minute
)

// Reasons a connection or request was shed, the reason label of
// fgd_http_shed_total.
const (
	shedEvicted = "evicted_idle"
	shedRefused = "refused"
	shedBusy    = "busy"
	shedStreams = "streams"
)

// refusedBody is the body of the raw answer to a connection refused past
// the cap: the server has no room to read its request, so the answer does
// not depend on it.
const refusedBody = "fgd: too many connections (api.max_connections); retry later\n"

var refusedAnswer = []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\n"+
	"Content-Type: text/plain; charset=utf-8\r\n"+
	"Retry-After: 1\r\n"+
	"Connection: close\r\n"+
	"Content-Length: %d\r\n\r\n%s", len(refusedBody), refusedBody))

// connLimiter is a net.Listener that holds at most max connections. A
// connection past the cap makes room by closing the one idle longest (no
// handler running on it: waiting for its first request, between requests,
// or still sending its headers); when every held connection is busy, the
// newcomer is answered 503 with Retry-After and closed. So a flood of idle
// or slow connections cannot lock out /healthz, and the daemon's file
// descriptors stay bounded whatever a client does.
type connLimiter struct {
	net.Listener
	max    int
	shed   *prometheus.CounterVec
	logger *slog.Logger
	refuse chan struct{} // semaphore of the refusing goroutines

	mu      sync.Mutex
	conns   map[*limitedConn]struct{}
	shedN   int // shed since the last warning
	shedLog time.Time
}

func newConnLimiter(ln net.Listener, max int, shed *prometheus.CounterVec, logger *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, max: max, shed: shed, logger: logger,
		refuse: make(chan struct{}, refusers), conns: map[*limitedConn]struct{}{}}
}

// Accept returns the next connection the cap admits; the ones it refuses
// are answered and closed on the side.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
		l.refused(c)
	}
}

// open returns how many connections are held.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// admit holds c, closing the idlest held connection when the cap is
// reached; nil when every held connection is busy.
func (l *connLimiter) admit(c net.Conn) *limitedConn {
	l.mu.Lock()
	var victim *limitedConn
	if len(l.conns) >= l.max {
		for lc := range l.conns {
			if lc.busy == 0 && (victim == nil || lc.idleSince.Before(victim.idleSince)) {
				victim = lc
			}
		}
		if victim == nil {
			l.mu.Unlock()
			return nil
		}
		delete(l.conns, victim)
	}
	lc := &limitedConn{Conn: c, l: l, idleSince: time.Now()}
	l.conns[lc] = struct{}{}
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Conn.Close() // the server sees a read error and forgets it
		l.note(shedEvicted)
	}
	return lc
}

// refused answers c 503 and closes it, on a goroutine of its own so the
// accept loop goes on; when too many are being answered already, c is
// closed at once.
func (l *connLimiter) refused(c net.Conn) {
	l.note(shedRefused)
	select {
	case l.refuse <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.refuse }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refuseTimeout))
		if _, err := c.Write(refusedAnswer); err != nil {
			return
		}
		// Half-close and read what the client sent, so closing does not
		// reset the connection before the client has read the answer.
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// note counts a shed connection or request and logs a warning at most
// once per shedLogEvery.
func (l *connLimiter) note(reason string) {
	if l.shed != nil {
		l.shed.WithLabelValues(reason).Inc()
	}
	l.mu.Lock()
	l.shedN++
	now := time.Now()
	if now.Sub(l.shedLog) < shedLogEvery {
		l.mu.Unlock()
		return
	}
	n := l.shedN
	l.shedN, l.shedLog = 0, now
	l.mu.Unlock()
	l.logger.Warn("HTTP connection limit reached: closing idle connections and refusing new ones (api.max_connections)",
		"max_connections", l.max, "shed", n, "last_reason", reason)
}

// limitedConn is a connection held by a connLimiter.
type limitedConn struct {
	net.Conn
	l    *connLimiter
	once sync.Once
	// busy counts the handlers running on the connection, idleSince is
	// when the last one ended; both guarded by l.mu.
	busy      int
	idleSince time.Time
}

// Close releases the connection's place under the cap.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return err
}

// CloseWrite half-closes a TCP connection: net/http does so before closing
// after an error answer, so the client reads the answer rather than a
// reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

// enter marks a handler running on the connection: it cannot be evicted
// until leave.
func (c *limitedConn) enter() {
	c.l.mu.Lock()
	c.busy++
	c.l.mu.Unlock()
}

func (c *limitedConn) leave() {
	c.l.mu.Lock()
	c.busy--
	c.idleSince = time.Now()
	c.l.mu.Unlock()
}

// connKey is the context key of the request's *limitedConn.
type connKey struct{}

// connContext is http.Server.ConnContext: it makes the connection known to
// the request's handlers, which mark it busy while they run.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

func connFrom(ctx context.Context) *limitedConn {
	lc, _ := ctx.Value(connKey{}).(*limitedConn)
	return lc
}

// newShedMetric returns fgd_http_shed_total{reason}, registered on reg when
// reg is not nil (the one registered first when this is the second Server
// on reg).
func newShedMetric(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fgd_http_shed_total",
		Help: "HTTP connections and requests shed by the limits: evicted_idle and refused connections (api.max_connections), busy and streams requests (answered 503).",
	}, []string{"reason"})
	return registerCounterVec(reg, c)
}

// registerCounterVec registers c on reg, returning the collector already
// registered under its name when there is one.
func registerCounterVec(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("httpapi: register a metric: %v", err)) // a programming error
	}
	return c
}
