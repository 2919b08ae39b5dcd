package faultproxy

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

// A fault set at run time applies to the next connections; an open
// connection keeps the fault it was accepted with.
func TestSwitchFaultsAtRunTime(t *testing.T) {
	p := start(t, echoServer(t))
	held := dial(t, p.Addr()) // healthy, kept open across the switches
	_ = held.SetDeadline(time.Now().Add(patience))
	echo := func(c net.Conn) error {
		if _, err := io.WriteString(c, "ping"); err != nil {
			return err
		}
		_, err := io.ReadFull(c, make([]byte, 4))
		return err
	}
	if err := echo(held); err != nil {
		t.Fatalf("healthy connection: %v", err)
	}
	steps := []struct {
		fault   Fault
		wantErr bool
	}{
		{None, false}, {Refuse, true}, {None, false}, {Reset, true}, {Truncate, true}, {None, false},
	}
	for i, s := range steps {
		setFault(t, p, s.fault, Options{})
		if err := roundTrip(t, p.Addr(), "ping"); (err != nil) != s.wantErr {
			t.Errorf("step %d (%s): round trip error %v, want error %v", i, s.fault, err, s.wantErr)
		}
		if err := echo(held); err != nil {
			t.Errorf("step %d (%s): the connection opened before the switch broke: %v", i, s.fault, err)
		}
	}
	s := p.Stats()
	want := map[Fault]int64{Refuse: 1, Reset: 1, Truncate: 1}
	if s.Accepted != 7 || s.Healthy != 4 || !equalCounts(s.Faulted, want) {
		t.Errorf("stats %+v: want 7 accepted, 4 healthy, faulted %v", s, want)
	}
}

// With a Probability and a seeded Rand, which connections are faulted
// depends only on the seed and the order of the connections.
func TestProbabilityWithASeedRepeats(t *testing.T) {
	const seed, n, prob = 7, 40, 0.5
	backend := echoServer(t)
	run := func() []bool {
		p := start(t, backend)
		setFault(t, p, Refuse, Options{Probability: prob, Rand: rand.New(rand.NewPCG(seed, 0)).Float64})
		faulted := make([]bool, n)
		for i := range faulted {
			faulted[i] = roundTrip(t, p.Addr(), "ping") != nil
		}
		s := p.Stats()
		if got := int64(len(slices.DeleteFunc(slices.Clone(faulted), func(b bool) bool { return !b }))); s.Faulted[Refuse] != got || s.Healthy != n-got {
			t.Errorf("stats %+v: the clients saw %d refused of %d", s, got, n)
		}
		return faulted
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Errorf("same seed, different sequences:\n%v\n%v", first, second)
	}
	// The sequence is the seed's draws, not just any stable pattern.
	r := rand.New(rand.NewPCG(seed, 0))
	want := make([]bool, n)
	for i := range want {
		want[i] = r.Float64() < prob
	}
	if !slices.Equal(first, want) {
		t.Errorf("faulted %v, want the seed's draws %v", first, want)
	}
	if !slices.Contains(first, true) || !slices.Contains(first, false) {
		t.Errorf("faulted %v: want a mix of healthy and faulty connections", first)
	}
}

// Close (or the end of Run's context) closes every open connection
// whatever its fault, and every goroutine of the proxy ends.
func TestCloseEndsEverything(t *testing.T) {
	for _, viaContext := range []bool{false, true} {
		name := "Close"
		if viaContext {
			name = "context"
		}
		t.Run(name, func(t *testing.T) {
			backend := echoServer(t)
			baseline := runtime.NumGoroutine()

			p, err := New(backend, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runErr := make(chan error, 1)
			go func() { runErr <- p.Run(ctx) }()

			// One open connection per kind that lives on: healthy, held
			// in a long delay, blackholed, answered 500 and half-closed,
			// and truncated while the client keeps its side open.
			var clients []*net.TCPConn
			for _, f := range []struct {
				fault Fault
				opts  Options
			}{{None, Options{}}, {Delay, Options{Delay: time.Hour}}, {Blackhole, Options{}}, {HTTP500, Options{}}, {Truncate, Options{}}} {
				if err := p.SetFault(f.fault, f.opts); err != nil {
					t.Fatal(err)
				}
				c := dial(t, p.Addr())
				msg := "ping"
				if f.fault == HTTP500 {
					msg = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
				}
				if _, err := io.WriteString(c, msg); err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
				want := len(clients)
				eventually(t, "open connection", func() bool { return p.Stats().Open == int64(want) })
			}

			closed := make(chan error, 1)
			if viaContext {
				cancel()
				closed <- nil
			} else {
				go func() { closed <- p.Close() }()
			}
			select {
			case err := <-closed:
				if err != nil {
					t.Fatalf("Close: %v", err)
				}
			case <-time.After(patience):
				t.Fatal("Close still waiting for connections")
			}
			select {
			case err := <-runErr:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(patience):
				t.Fatal("Run still running after the proxy closed")
			}
			if n := p.Stats().Open; n != 0 {
				t.Errorf("%d connections still open", n)
			}
			for i, c := range clients {
				_ = c.SetReadDeadline(time.Now().Add(patience))
				_, err := io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("client %d: still open after the proxy closed", i)
				}
				_ = c.Close()
			}
			eventually(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= baseline })

			if err := p.Run(context.Background()); !errors.Is(err, ErrClosed) {
				t.Errorf("Run after close: %v, want ErrClosed", err)
			}
			if err := p.SetFault(Refuse, Options{}); !errors.Is(err, ErrClosed) {
				t.Errorf("SetFault after close: %v, want ErrClosed", err)
			}
			if err := p.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// A proxy never run still closes; new clients are then refused.
func TestCloseWithoutRun(t *testing.T) {
	p, err := New(echoServer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := p.Addr()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, patience); err == nil {
		_ = c.Close()
		t.Errorf("dial %s after Close succeeded", addr)
	}
}

func TestRejects(t *testing.T) {
	for _, backend := range []string{"10.0.0.1:80", "example.com:80", "no-port", "[2001:db8::1]:80"} {
		if _, err := New(backend, nil); err == nil {
			t.Errorf("New(%q): no error, want a refusal of a non-loopback backend", backend)
		}
	}
	for _, backend := range []string{"127.0.0.1:1", "[::1]:1", "localhost:1"} {
		p, err := New(backend, nil)
		if err != nil {
			t.Errorf("New(%q): %v", backend, err)
			continue
		}
		if host, _, _ := net.SplitHostPort(p.Addr()); host != "127.0.0.1" {
			t.Errorf("listening on %s, want 127.0.0.1", p.Addr())
		}
		_ = p.Close()
	}

	p, err := New("127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tt := range []struct {
		name  string
		fault Fault
		opts  Options
	}{
		{"unknown fault", numFaults, Options{}},
		{"negative fault", -1, Options{}},
		{"delay without a delay", Delay, Options{}},
		{"negative truncation", Truncate, Options{TruncateAfter: -1}},
		{"probability above 1", Refuse, Options{Probability: 1.5}},
		{"negative probability", Refuse, Options{Probability: -0.1}},
	} {
		if err := p.SetFault(tt.fault, tt.opts); err == nil {
			t.Errorf("%s: SetFault(%s, %+v) accepted", tt.name, tt.fault, tt.opts)
		}
	}
}

// A backend that is down drops the client and is counted.
func TestBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	p := start(t, addr)
	if err := roundTrip(t, p.Addr(), "ping"); err == nil {
		t.Error("round trip to a dead backend succeeded")
	}
	eventually(t, "dial error counted", func() bool { return p.Stats().DialErrors == 1 })
}

// BenchmarkForward measures healthy throughput through the proxy to an
// echo server.
func BenchmarkForward(b *testing.B) {
	p := start(b, echoServer(b))
	c := dial(b, p.Addr())
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Stats().BytesToClient)/b.Elapsed().Seconds()/1e6, "MB/s-to-client")
}
