package faultproxy

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// patience bounds every wait in these tests; nothing is asserted on time
// except the lower bound of Delay.
const patience = 20 * time.Second

// echoServer is a real TCP backend on 127.0.0.1 that sends back what it
// reads and half-closes when the client does. Its goroutines end on cleanup.
func echoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 32<<10)
				_, _ = io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c}, buf)
				_ = c.(*net.TCPConn).CloseWrite()
				_ = c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// running is a proxy served by Run on its own goroutine.
type running struct {
	*Proxy
	runErr chan error
}

// start makes a proxy to backend, runs it, and on cleanup closes it and
// checks that Run ended cleanly.
func start(t testing.TB, backend string) *running {
	t.Helper()
	p, err := New(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{Proxy: p, runErr: make(chan error, 1)}
	go func() { r.runErr <- p.Run(context.Background()) }()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := r.wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// wait returns Run's result, failing if Run has not returned in patience.
func (r *running) wait() error {
	select {
	case err := <-r.runErr:
		r.runErr <- err // later callers see it too
		return err
	case <-time.After(patience):
		return context.DeadlineExceeded
	}
}

func setFault(t testing.TB, p *running, f Fault, o Options) {
	t.Helper()
	if err := p.SetFault(f, o); err != nil {
		t.Fatal(err)
	}
}

func dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.TCPConn)
}

// eventually polls cond until it holds, failing after patience.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, patience)
		}
		<-tick.C
	}
}

// roundTrip sends msg on a fresh connection and reads the echo; it returns
// the first error met.
func roundTrip(t testing.TB, addr, msg string) error {
	t.Helper()
	// A Reset can land before the connect completes: that is the fault
	// showing, not a broken test.
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return &mismatch{got: string(buf), want: msg}
	}
	return nil
}

type mismatch struct{ got, want string }

func (m *mismatch) Error() string { return "echo " + m.got + ", want " + m.want }
