// Package faultproxy is a loopback TCP proxy for tests that injects faults
// between a client and a backend: refused and reset connections, latency,
// truncated answers, black holes and HTTP 500s. It listens on 127.0.0.1
// only and forwards only to a loopback backend.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
)

// MaxConns bounds the connections handled at once, and so the goroutines
// (two per connection, plus Run's). Further clients wait in the listen
// backlog until a connection ends.
const MaxConns = 256

// ErrClosed is returned by Run and SetFault once the proxy is closed.
var ErrClosed = errors.New("faultproxy: proxy is closed")

// Proxy accepts on a loopback port and forwards each connection to the
// backend, or faults it. Call Run to serve and Close to stop.
type Proxy struct {
	backend string
	log     *slog.Logger
	ln      net.Listener
	done    chan struct{}  // closed by Close: ends delays and the accept loop
	runDone chan struct{}  // closed when Run's accept loop has returned
	slots   chan struct{}  // one token per connection being handled
	wg      sync.WaitGroup // the connection handlers

	mu      sync.Mutex
	closed  bool
	running bool
	cancel  context.CancelFunc // ends Run's context, and so backend dials
	conns   map[net.Conn]struct{}
	fault   Fault
	opts    Options

	accepted   atomic.Int64
	byFault    [numFaults]atomic.Int64
	toBackend  atomic.Int64
	toClient   atomic.Int64
	dialErrors atomic.Int64
	open       atomic.Int64
}

// Stats counts what the proxy has done since New.
type Stats struct {
	// Accepted is the number of client connections accepted.
	Accepted int64
	// Healthy is the number of connections forwarded without a fault.
	Healthy int64
	// Faulted counts the faulted connections by fault; None is absent.
	Faulted map[Fault]int64
	// BytesToBackend and BytesToClient are the bytes forwarded each way.
	BytesToBackend, BytesToClient int64
	// DialErrors is the number of connections dropped because the backend
	// could not be reached.
	DialErrors int64
	// Open is the number of connections being handled now.
	Open int64
}

// New listens on 127.0.0.1 on a free port and will forward to backend, a
// loopback host:port. The proxy starts healthy (None); it serves once Run
// is called. A nil logger discards.
func New(backend string, logger *slog.Logger) (*Proxy, error) {
	if err := checkLoopback(backend); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen on 127.0.0.1: %w", err)
	}
	return &Proxy{
		backend: backend,
		log:     logger.With("proxy", ln.Addr().String(), "backend", backend),
		ln:      ln,
		done:    make(chan struct{}),
		runDone: make(chan struct{}),
		slots:   make(chan struct{}, MaxConns),
		conns:   make(map[net.Conn]struct{}),
	}, nil
}

// checkLoopback refuses a backend that is not on this host's loopback, so a
// test cannot aim faults at a real network.
func checkLoopback(backend string) error {
	host, _, err := net.SplitHostPort(backend)
	if err != nil {
		return fmt.Errorf("faultproxy: backend %q is not host:port: %w", backend, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("faultproxy: backend %q is not a loopback address: use 127.0.0.1 or ::1", backend)
	}
	return nil
}

// Addr is the proxy's host:port, to use in place of the backend's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetFault makes the proxy apply f, tuned by o, to the connections it
// accepts from now on.
func (p *Proxy) SetFault(f Fault, o Options) error {
	if err := validate(f, o); err != nil {
		return err
	}
	if o.Probability == 0 {
		o.Probability = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.fault, p.opts = f, o
	p.log.Debug("fault set", "fault", f.String(), "probability", o.Probability)
	return nil
}

// Stats returns the counters as they are now.
func (p *Proxy) Stats() Stats {
	s := Stats{
		Accepted:       p.accepted.Load(),
		Healthy:        p.byFault[None].Load(),
		Faulted:        make(map[Fault]int64),
		BytesToBackend: p.toBackend.Load(),
		BytesToClient:  p.toClient.Load(),
		DialErrors:     p.dialErrors.Load(),
		Open:           p.open.Load(),
	}
	for f := None + 1; f < numFaults; f++ {
		if n := p.byFault[f].Load(); n > 0 {
			s.Faulted[f] = n
		}
	}
	return s
}

// Run accepts and handles connections until ctx is done or Close is called;
// either way it closes the proxy and returns nil once every connection's
// goroutines have ended. If accepting fails otherwise, it closes the proxy
// the same way and returns the error.
func (p *Proxy) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return ErrClosed
	case p.running:
		p.mu.Unlock()
		return errors.New("faultproxy: Run called twice on one proxy")
	}
	p.running, p.cancel = true, cancel
	p.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { _ = p.Close() })
	defer stop()
	err := p.serve(ctx)
	close(p.runDone)
	// Whatever ended the loop, end the connections and wait for them.
	_ = p.Close()
	return err
}

// serve is Run's accept loop.
func (p *Proxy) serve(ctx context.Context) error {
	for {
		select {
		case p.slots <- struct{}{}:
		case <-p.done:
			return nil
		}
		c, err := p.ln.Accept()
		if err != nil {
			<-p.slots
			if p.isClosed() {
				return nil
			}
			return fmt.Errorf("faultproxy: accept on %s: %w", p.Addr(), err)
		}
		if !p.admit(c) {
			<-p.slots
			continue
		}
		f, o := p.draw()
		p.accepted.Add(1)
		p.byFault[f].Add(1)
		p.open.Add(1)
		p.log.Debug("connection", "client", c.RemoteAddr().String(), "fault", f.String())
		go p.handle(ctx, c, f, o)
	}
}

// draw picks the fault of the connection just accepted. It runs on Run's
// goroutine only, so Rand is called in accept order.
func (p *Proxy) draw() (Fault, Options) {
	p.mu.Lock()
	f, o := p.fault, p.opts
	p.mu.Unlock()
	if f == None || o.Probability >= 1 {
		return f, o
	}
	r := rand.Float64
	if o.Rand != nil {
		r = o.Rand
	}
	if r() < o.Probability {
		return f, o
	}
	return None, o
}

// Close stops accepting, closes every open connection and waits until all
// the proxy's goroutines have ended. It may be called more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	running := p.running
	if p.closed {
		p.mu.Unlock()
		p.waitDone(running)
		return nil
	}
	p.closed = true
	close(p.done)
	if p.cancel != nil {
		p.cancel()
	}
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()

	err := p.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	p.waitDone(running)
	if err != nil {
		return fmt.Errorf("faultproxy: close listener %s: %w", p.Addr(), err)
	}
	return nil
}

// waitDone waits for the handlers and, if Run was called, its accept loop.
func (p *Proxy) waitDone(running bool) {
	p.wg.Wait()
	if running {
		<-p.runDone
	}
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// admit registers an accepted client and its handler, in one step with
// the closed check so Close waits for every handler it did not refuse.
func (p *Proxy) admit(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	return true
}

// track registers c so Close can end it; once closed, it closes c instead
// and reports false.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// release closes c and forgets it.
func (p *Proxy) release(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
