package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wait is the generous bound for anything expected to happen "soon".
const wait = 20 * time.Second

// running is a Server whose Run goroutine the test controls.
type running struct {
	url    string
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
	err    error         // Run's result, valid after done
}

// start listens on a free loopback port and runs s until the test ends.
func start(t *testing.T, s *Server) *running {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{url: "http://" + s.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = s.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(wait):
			t.Error("Run did not return at cleanup")
		}
	})
	return r
}

// wait returns Run's result, failing the test if it takes longer than wait.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(wait):
		t.Fatalf("Run did not return within %s", wait)
		return nil
	}
}

func TestRunServesOnARealListenerAndStops(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0", Gatherer: NewRegistry("1.2.3", "abc")})
	if s.Addr() != nil {
		t.Fatalf("Addr() before Listen = %v, want nil", s.Addr())
	}
	r := start(t, s)
	url := r.url
	if tcp, ok := s.Addr().(*net.TCPAddr); !ok || tcp.Port == 0 || !tcp.IP.IsLoopback() {
		t.Fatalf("Addr() = %v, want a loopback address with the port chosen", s.Addr())
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if status, _, _ := do(t, "GET", url+path, nil); status != 200 {
			t.Errorf("GET %s = %d, want 200", path, status)
		}
	}
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after Run returned")
	}
}

func TestRunWithoutListenListens(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(wait)
	for s.Addr() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Run did not listen within 20s")
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if status, _, _ := do(t, "GET", "http://"+s.Addr().String()+"/healthz", nil); status != 200 {
		t.Errorf("GET /healthz = %d", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return within 20s of cancel")
	}
}

func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	tests := []struct {
		name string
		call func(s *Server) error
	}{
		{"Listen", func(s *Server) error { return s.Listen() }},
		{"Run", func(s *Server) error { return s.Run(t.Context()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(New(Options{Listen: addr}))
			if err == nil {
				t.Fatalf("%s on a taken port succeeded", tt.name)
			}
			for _, want := range []string{"listen on " + addr, "address already in use", "`listen:`"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestListenBadAddress(t *testing.T) {
	err := New(Options{Listen: "127.0.0.1:notaport"}).Listen()
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:notaport") || !strings.Contains(err.Error(), "`listen:`") {
		t.Errorf("Listen on a bad address = %v, want an error naming it and the config key", err)
	}
}

// slowReload blocks in Reload until released, like a reload stuck on I/O;
// it ignores its context on purpose, the worst case for shutdown.
type slowReload struct {
	entered chan struct{}
	release chan struct{}
}

func newSlowReload(t *testing.T) *slowReload {
	r := &slowReload{entered: make(chan struct{}, 1), release: make(chan struct{})}
	t.Cleanup(func() { close(r.release) })
	return r
}

func (r *slowReload) reload(context.Context) error {
	r.entered <- struct{}{}
	<-r.release
	return nil
}

// post sends POST /-/reload in the background and reports its outcome.
func post(url string) <-chan error {
	res := make(chan error, 1)
	go func() {
		resp, err := http.Post(url+"/-/reload", "", nil)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != 200 {
				err = errors.New(resp.Status)
			}
		}
		res <- err
	}()
	return res
}

func TestShutdownIsBoundedWhileARequestHangs(t *testing.T) {
	slow := newSlowReload(t)
	s := New(Options{Listen: "127.0.0.1:0", Reload: slow.reload, ShutdownTimeout: 200 * time.Millisecond})
	r := start(t, s)
	res := post(r.url)
	select {
	case <-slow.entered:
	case <-time.After(wait):
		t.Fatal("the slow request never reached the handler")
	}
	r.cancel()
	// The handler never returns by itself: only the bound gets Run back.
	if err := r.wait(t); err != nil {
		t.Errorf("Run = %v, want nil after a forced shutdown", err)
	}
	select {
	case err := <-res:
		if err == nil {
			t.Error("the hung request got a full answer; its connection should have been closed")
		}
	case <-time.After(wait):
		t.Error("the hung request's connection was not closed")
	}
}

func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	slow := &slowReload{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := New(Options{Listen: "127.0.0.1:0", Reload: slow.reload, ShutdownTimeout: wait})
	shuttingDown := make(chan struct{})
	s.srv.RegisterOnShutdown(func() { close(shuttingDown) })
	r := start(t, s)
	res := post(r.url)
	select {
	case <-slow.entered:
	case <-time.After(wait):
		t.Fatal("the slow request never reached the handler")
	}
	r.cancel()
	select {
	case <-shuttingDown:
	case <-time.After(wait):
		t.Fatal("shutdown did not start")
	}
	close(slow.release) // the request finishes during the graceful phase
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("in-flight request during graceful shutdown: %v, want 200", err)
		}
	case <-time.After(wait):
		t.Fatal("in-flight request did not finish")
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestServerTimeoutsAreSet(t *testing.T) {
	s := New(Options{})
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadTimeout <= 0 || s.srv.IdleTimeout <= 0 || s.srv.MaxHeaderBytes <= 0 {
		t.Errorf("server limits not all set: %+v", s.srv)
	}
	if s.srv.WriteTimeout != 0 {
		t.Errorf("WriteTimeout = %s: it must stay 0 (per-request deadlines) so event streams can live", s.srv.WriteTimeout)
	}
	if s.shutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("shutdown timeout = %s, want the default %s", s.shutdownTimeout, DefaultShutdownTimeout)
	}
}

func TestOversizedHeadersAreRefused(t *testing.T) {
	r := start(t, New(Options{Listen: "127.0.0.1:0"}))
	tests := []struct {
		name       string
		size       int
		wantStatus int
	}{
		{"normal header", 1 << 10, 200},
		{"header past MaxHeaderBytes", 2 * maxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, _ := do(t, "GET", r.url+"/healthz", http.Header{"X-Padding": {strings.Repeat("a", tt.size)}})
			if status != tt.wantStatus {
				t.Errorf("GET /healthz with a %d-byte header = %d, want %d", tt.size, status, tt.wantStatus)
			}
		})
	}
}
