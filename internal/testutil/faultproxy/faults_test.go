package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each fault as a raw TCP client sees it, through the proxy to a real echo
// server, and as the proxy counts it.
func TestFaultsSeenByTCPClient(t *testing.T) {
	const delay = 100 * time.Millisecond
	msg := strings.Repeat("0123456789", 10)
	tests := []struct {
		name  string
		fault Fault
		opts  Options
		// check gets a connection through the proxy, or, when the RST beat
		// the end of the client's connect, the dial error.
		check func(t *testing.T, c *net.TCPConn)
		// bytesToBackend is what the proxy must have passed on; -1 skips.
		bytesToBackend int64
	}{
		{"none echoes", None, Options{}, func(t *testing.T, c *net.TCPConn) {
			if got := exchange(t, c, msg); got != msg {
				t.Errorf("echo %q, want %q", got, msg)
			}
		}, int64(len(msg))},
		{"refuse closes cleanly", Refuse, Options{}, func(t *testing.T, c *net.TCPConn) {
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Errorf("read: %v, want EOF", err)
			}
		}, 0},
		{"reset aborts", Reset, Options{}, func(t *testing.T, c *net.TCPConn) {
			if c == nil {
				return // the dial itself was reset
			}
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read: %v, want ECONNRESET", err)
			}
		}, 0},
		{"delay holds each chunk each way", Delay, Options{Delay: delay}, func(t *testing.T, c *net.TCPConn) {
			begin := time.Now()
			got := exchange(t, c, msg)
			// A lower bound only: one chunk up, one chunk down.
			if took := time.Since(begin); took < 2*delay {
				t.Errorf("round trip took %v, want at least %v", took, 2*delay)
			}
			if got != msg {
				t.Errorf("echo %q, want %q", got, msg)
			}
		}, int64(len(msg))},
		{"truncate cuts the answer", Truncate, Options{TruncateAfter: 10}, func(t *testing.T, c *net.TCPConn) {
			if got := exchange(t, c, msg); got != msg[:10] {
				t.Errorf("got %q, want the first 10 bytes %q", got, msg[:10])
			}
		}, int64(len(msg))},
		{"truncate at zero sends nothing", Truncate, Options{}, func(t *testing.T, c *net.TCPConn) {
			if got := exchange(t, c, msg); got != "" {
				t.Errorf("got %q, want nothing", got)
			}
		}, -1},
		{"blackhole never answers", Blackhole, Options{}, func(t *testing.T, c *net.TCPConn) {
			if _, err := io.WriteString(c, msg); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := c.Read(make([]byte, 1))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("read %d bytes, %v: want a timeout", n, err)
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, echoServer(t))
			setFault(t, p, tt.fault, tt.opts)
			nc, err := net.DialTimeout("tcp", p.Addr(), patience)
			var c *net.TCPConn
			switch {
			case err == nil:
				c = nc.(*net.TCPConn)
				_ = c.SetDeadline(time.Now().Add(patience))
			case tt.fault == Reset && errors.Is(err, syscall.ECONNRESET):
			default:
				t.Fatal(err)
			}
			tt.check(t, c)
			if c != nil {
				_ = c.Close()
			}

			eventually(t, "connection end", func() bool { return p.Stats().Open == 0 })
			s := p.Stats()
			want := map[Fault]int64{}
			if tt.fault != None {
				want[tt.fault] = 1
			}
			if s.Accepted != 1 || !equalCounts(s.Faulted, want) || s.Healthy != 1-int64(len(want)) {
				t.Errorf("stats %+v: want 1 accepted, faulted %v", s, want)
			}
			if tt.bytesToBackend >= 0 && s.BytesToBackend != tt.bytesToBackend {
				t.Errorf("%d bytes to the backend, want %d", s.BytesToBackend, tt.bytesToBackend)
			}
		})
	}
}

// exchange sends msg, half-closes, and returns all that comes back.
func exchange(t *testing.T, c *net.TCPConn, msg string) string {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read after %d bytes: %v", len(got), err)
	}
	return string(got)
}

func equalCounts(got, want map[Fault]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for f, n := range want {
		if got[f] != n {
			return false
		}
	}
	return true
}

// Each fault as an HTTP client sees it, through the proxy to a real
// httptest server on 127.0.0.1.
func TestFaultsSeenByHTTPClient(t *testing.T) {
	const size = 64 << 10
	const delay = 50 * time.Millisecond
	body := bytes.Repeat([]byte("x"), size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name   string
		fault  Fault
		opts   Options
		post   bool
		client time.Duration // client timeout; 0 is patience
		check  func(t *testing.T, o outcome)
	}{
		{"none", None, Options{}, false, 0, func(t *testing.T, o outcome) {
			if o.err != nil || o.status != 200 || len(o.body) != size {
				t.Errorf("status %d, %d bytes, %v: want 200 and %d bytes", o.status, len(o.body), o.err, size)
			}
		}},
		{"refuse", Refuse, Options{}, false, 0, wantError},
		{"reset", Reset, Options{}, false, 0, wantError},
		{"delay", Delay, Options{Delay: delay}, false, 0, func(t *testing.T, o outcome) {
			if o.err != nil || o.status != 200 || len(o.body) != size {
				t.Errorf("status %d, %d bytes, %v: want 200 and %d bytes", o.status, len(o.body), o.err, size)
			}
			if o.took < 2*delay {
				t.Errorf("request took %v, want at least %v", o.took, 2*delay)
			}
		}},
		{"truncate", Truncate, Options{TruncateAfter: 1000}, false, 0, func(t *testing.T, o outcome) {
			if !errors.Is(o.err, io.ErrUnexpectedEOF) || len(o.body) >= size {
				t.Errorf("status %d, %d bytes, %v: want a body cut short", o.status, len(o.body), o.err)
			}
		}},
		{"blackhole", Blackhole, Options{}, false, 300 * time.Millisecond, func(t *testing.T, o outcome) {
			var ne net.Error
			if !errors.As(o.err, &ne) || !ne.Timeout() {
				t.Errorf("status %d, %v: want the client's timeout", o.status, o.err)
			}
		}},
		{"http500", HTTP500, Options{}, false, 0, want500},
		{"http500 after a request body", HTTP500, Options{}, true, 0, want500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, srv.Listener.Addr().String())
			setFault(t, p, tt.fault, tt.opts)
			timeout := tt.client
			if timeout == 0 {
				timeout = patience
			}
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: timeout}

			url := "http://" + p.Addr() + "/repo.git/info/refs"
			begin := time.Now()
			var resp *http.Response
			var err error
			if tt.post {
				resp, err = client.Post(url, "application/octet-stream", bytes.NewReader(bytes.Repeat([]byte("p"), 256<<10)))
			} else {
				resp, err = client.Get(url)
			}
			var o outcome
			if err == nil {
				o.status = resp.StatusCode
				o.body, o.err = io.ReadAll(resp.Body)
				_ = resp.Body.Close()
			} else {
				o.err = err
			}
			o.took = time.Since(begin)
			tt.check(t, o)
			if tt.fault != None {
				if n := p.Stats().Faulted[tt.fault]; n != 1 {
					t.Errorf("%d connections given %s, want 1", n, tt.fault)
				}
			}
		})
	}
}

// outcome is what an HTTP client got through the proxy.
type outcome struct {
	status int
	body   []byte
	err    error // of the request, else of reading the body
	took   time.Duration
}

func wantError(t *testing.T, o outcome) {
	t.Helper()
	if o.err == nil {
		t.Errorf("status %d, %d bytes: want a connection error", o.status, len(o.body))
	}
}

func want500(t *testing.T, o outcome) {
	t.Helper()
	if o.err != nil || o.status != http.StatusInternalServerError || !strings.Contains(string(o.body), "injected") {
		t.Errorf("status %d, body %q, %v: want the injected 500", o.status, o.body, o.err)
	}
}
