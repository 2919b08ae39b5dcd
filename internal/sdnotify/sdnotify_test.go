package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen creates a real unixgram socket, points NOTIFY_SOCKET at it and
// returns a function that reads the next datagram (failing after a generous
// deadline).
func listen(t *testing.T) (next func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return func() string {
		t.Helper()
		if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification within 20s: %v", err)
		}
		return string(buf[:n])
	}
}

func TestReadyWatchdogStoppingInOrder(t *testing.T) {
	next := listen(t)
	t.Setenv("WATCHDOG_USEC", "200000") // pings every 100ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := New(nil)
	if !n.Enabled() {
		t.Fatal("Enabled() = false with NOTIFY_SOCKET set")
	}

	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.RunWatchdog(ctx) }()

	if got := next(); got != "READY=1" {
		t.Fatalf("first notification = %q, want READY=1", got)
	}
	// Two pings prove the ticker works, not only the immediate first ping.
	for i := 0; i < 2; i++ {
		if got := next(); got != "WATCHDOG=1" {
			t.Fatalf("notification after READY = %q, want WATCHDOG=1", got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunWatchdog: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunWatchdog did not return within 20s of ctx being cancelled")
	}
	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	// Pings sent before RunWatchdog returned may still be queued.
	for {
		got := next()
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("got %q between the watchdog pings and STOPPING=1", got)
		}
	}
}

func TestStatusAndReloading(t *testing.T) {
	next := listen(t)
	n := New(nil)
	tests := []struct {
		name  string
		send  func() error
		check func(got string) bool
	}{
		{"status", func() error { return n.Status("syncing 2 fabrics") }, func(got string) bool {
			return got == "STATUS=syncing 2 fabrics"
		}},
		{"status with line breaks stays one assignment", func() error { return n.Status("a\nREADY=1\r\nb") }, func(got string) bool {
			return got == "STATUS=a READY=1 b"
		}},
		{"reloading carries MONOTONIC_USEC", n.Reloading, func(got string) bool {
			lines := strings.Split(got, "\n")
			if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
				return false
			}
			usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
			return err == nil && usec > 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			if got := next(); !tt.check(got) {
				t.Errorf("datagram = %q", got)
			}
		})
	}
}

func TestNoOpWithoutNotifySocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	t.Setenv("WATCHDOG_USEC", "200000")
	quiet := New(nil)
	if quiet.Enabled() {
		t.Fatal("Enabled() = true without NOTIFY_SOCKET")
	}

	// The socket appears only now: a notifier created without it must stay
	// silent, so the first datagram must come from the second notifier.
	next := listen(t)
	for name, send := range map[string]func() error{
		"Ready": quiet.Ready, "Stopping": quiet.Stopping, "Reloading": quiet.Reloading,
		"Status": func() error { return quiet.Status("x") },
	} {
		if err := send(); err != nil {
			t.Errorf("%s on a no-op notifier: %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := quiet.RunWatchdog(ctx); err != nil {
		t.Errorf("RunWatchdog on a no-op notifier: %v", err)
	}
	if err := New(nil).Status("second"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "STATUS=second" {
		t.Errorf("first datagram = %q, want the second notifier's STATUS=second", got)
	}
}

func TestWatchdogEnvironment(t *testing.T) {
	tests := []struct {
		name      string
		usec, pid string
		wantPing  bool
		wantErr   bool
	}{
		{"pid unset", "200000", "", true, false},
		{"pid is ours", "200000", strconv.Itoa(os.Getpid()), true, false},
		{"pid is another process", "200000", strconv.Itoa(os.Getpid() + 1), false, false},
		{"no WATCHDOG_USEC", "", "", false, false},
		{"malformed WATCHDOG_USEC", "soon", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := listen(t)
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			n := New(nil)
			// An enabled watchdog pings at once, before looking at ctx, so
			// a cancelled ctx still tells the two cases apart without timing.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := n.RunWatchdog(ctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RunWatchdog error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "WATCHDOG_USEC") {
				t.Errorf("error %q does not name WATCHDOG_USEC", err)
			}
			if err := n.Stopping(); err != nil {
				t.Fatal(err)
			}
			want := "STOPPING=1"
			if tt.wantPing {
				want = "WATCHDOG=1"
			}
			if got := next(); got != want {
				t.Errorf("first datagram = %q, want %q", got, want)
			}
		})
	}
}

func TestSendErrorNamesTheSocket(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	t.Setenv("NOTIFY_SOCKET", missing)
	err := New(nil).Ready()
	if err == nil {
		t.Fatal("Ready to a missing socket succeeded")
	}
	if !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "READY=1") {
		t.Errorf("error %q should name the socket and the message", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("error %q does not wrap the dial error", err)
	}
}
