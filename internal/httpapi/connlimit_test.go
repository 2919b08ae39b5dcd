package httpapi

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// dialIdle opens n connections to addr that never send a request, and
// closes them when the test ends.
func dialIdle(t *testing.T, addr string, n int) {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.DialTimeout("tcp", addr, time.Minute)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		conns = append(conns, c)
	}
}

// get fetches url on a fresh connection and returns the status.
func getFresh(t *testing.T, url string) (int, http.Header) {
	t.Helper()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header
}

// Far more idle connections than the cap: the server holds at most the
// cap, closing the idlest, and /healthz and the API still answer.
func TestIdleConnectionFloodKeepsTheServerAnswering(t *testing.T) {
	e := newGuardEnv(t, Options{MaxConnections: 64, MaxEventStreams: 8})
	addr := strings.TrimPrefix(e.url, "http://")
	dialIdle(t, addr, 1000)
	if n := e.srv.OpenConnections(); n > 64 {
		t.Errorf("the server holds %d connections, cap 64", n)
	}
	if code, _ := getFresh(t, e.url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz during the flood = %d, want 200", code)
	}
	if code, _ := getFresh(t, e.url+"/api/v1/fabrics"); code != http.StatusOK {
		t.Errorf("/api/v1/fabrics during the flood = %d, want 200", code)
	}
}

// Requests that hold their connections use at most 15/16 of the cap; the
// next is answered 503 with Retry-After, and /healthz still answers.
func TestBusyRequestsLeaveRoomForProbes(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	opts := Options{MaxConnections: 32, MaxEventStreams: 4, Reload: func(ctx context.Context) error {
		entered.Done()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}}
	e := newGuardEnv(t, opts)
	defer close(release)
	busy := 32 - opsReserve(32)
	entered.Add(busy)
	client := &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 100}}
	for range busy {
		go func() {
			req, _ := http.NewRequest("POST", e.url+"/-/reload", nil)
			req.Header.Set("Authorization", "Bearer "+opToken)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	entered.Wait()
	code, h := getFresh(t, e.url+"/api/v1/fabrics")
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("a request past the budget = %d (Retry-After %q), want 503 with Retry-After", code, h.Get("Retry-After"))
	}
	if code, _ := getFresh(t, e.url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with every request slot busy = %d, want 200", code)
	}
	if code, _ := getFresh(t, e.url+"/metrics"); code != http.StatusNotFound { // no Gatherer: routed, not shed
		t.Errorf("/metrics with every request slot busy = %d, want 404 from its route", code)
	}
}

// When every held connection is busy, a new one is answered 503 with
// Retry-After at once and closed, without its request being read.
func TestConnectionPastTheCapIsRefused(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnLimiter(inner, 2, newShedMetric(nil), slog.New(slog.DiscardHandler))
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.(*limitedConn).enter() // a handler runs on it
			accepted <- c
		}
	}()
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		<-accepted
	}
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("GET /api/v1/fabrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the refused connection got no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), "api.max_connections") {
		t.Errorf("answer %d, Retry-After %q, body %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := l.open(); n != 2 {
		t.Errorf("the limiter holds %d connections, want the 2 busy ones", n)
	}
}

// Event streams and long polls past api.max_event_streams get 503 with
// Retry-After; once a stream ends, a new one is served.
func TestEventStreamCap(t *testing.T) {
	e := newGuardEnv(t, Options{MaxEventStreams: 2})
	var streams []*http.Response
	for range 2 {
		resp, err := http.Get(e.url + "/api/v1/events")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream = %d", resp.StatusCode)
		}
		streams = append(streams, resp)
	}
	defer func() {
		for _, r := range streams {
			r.Body.Close()
		}
	}()
	for _, path := range []string{"/api/v1/events", "/api/v1/fabrics?wait=1000000&timeout=5m"} {
		code, h := getFresh(t, e.url+path)
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") != streamRetryAfter {
			t.Errorf("GET %s past the cap = %d (Retry-After %q), want 503 with Retry-After %s", path, code, h.Get("Retry-After"), streamRetryAfter)
		}
	}
	if code, _ := getFresh(t, e.url+"/api/v1/fabrics"); code != http.StatusOK {
		t.Errorf("a plain read with the streams full = %d, want 200", code)
	}
	streams[0].Body.Close()
	streams = streams[1:]
	deadline := time.Now().Add(5 * time.Minute)
	for {
		code, _ := getFresh(t, e.url+"/api/v1/fabrics?wait=0&timeout=1ms")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a long poll after a stream ended = %d, want 200 once the server saw it go", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
