package daemontest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	got := ParseMetrics("# HELP x y\n# TYPE x counter\nfgd_syncs_total{fabric=\"a b\",result=\"success\"} 3\ngo_goroutines 42\nbroken\nnan_line x\n")
	if len(got) != 2 || got[`fgd_syncs_total{fabric="a b",result="success"}`] != 3 || got["go_goroutines"] != 42 {
		t.Errorf("ParseMetrics = %v", got)
	}
}

// ProcUsage of this very process: it has memory, files, threads and has
// used the CPU, and the CPU time only grows.
func TestProcUsage(t *testing.T) {
	u0, err := ProcUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u0.RSSBytes <= 0 || u0.FDs <= 0 || u0.Threads <= 0 || u0.CPUSeconds <= 0 {
		t.Fatalf("ProcUsage = %+v, want every field positive", u0)
	}
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	_ = x
	u1, err := ProcUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u1.CPUSeconds <= u0.CPUSeconds {
		t.Errorf("CPU time went from %v to %v over a busy loop", u0.CPUSeconds, u1.CPUSeconds)
	}
	if _, err := ProcUsage(-1); err == nil {
		t.Error("ProcUsage of no process: no error")
	}
}

// Signal and Wait on the real daemon: a running one outlives a short Wait
// and takes SIGHUP, exits 0 on SIGTERM and cannot be signalled once gone;
// one that refuses its config exits 1 on its own and Wait returns that code.
func TestSignalAndWait(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := Build(t)
	start := func(t *testing.T, config string) *Daemon {
		dir := t.TempDir()
		port := FreePort(t)
		if err := os.MkdirAll(filepath.Join(dir, "lab", "raw"), 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, port)), 0o644); err != nil {
			t.Fatal(err)
		}
		return Start(t, bin, dir, cfg, port)
	}

	t.Run("running", func(t *testing.T) {
		d := start(t, "listen: 127.0.0.1:%d\nstate_dir: state\nfabrics:\n  - name: lab\n    source:\n      dir: {path: lab}\n")
		d.WaitFor("/healthz", 30*time.Second, func() bool { c, _ := d.Get("/healthz"); return c == 200 })
		if err := d.Wait(100 * time.Millisecond); err == nil || d.Exited() {
			t.Fatalf("Wait on a running daemon = %v (exited %v), want a still-running error", err, d.Exited())
		}
		if err := d.Signal(syscall.SIGHUP); err != nil {
			t.Fatalf("SIGHUP: %v", err)
		}
		d.WaitFor("the reload after SIGHUP", 30*time.Second, func() bool { return strings.Contains(d.Log(), "received SIGHUP") })
		if err := d.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		if err := d.Wait(30 * time.Second); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		if !d.Exited() {
			t.Error("Exited is false after Wait returned the exit")
		}
		if err := d.Signal(syscall.SIGTERM); err == nil {
			t.Error("Signal to an exited daemon: no error")
		}
	})

	t.Run("bad config", func(t *testing.T) {
		d := start(t, "listne: 127.0.0.1:%d\n")
		err := d.Wait(30 * time.Second)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("Wait on a daemon refusing its config = %v, want exit status 1", err)
		}
		if !d.Exited() {
			t.Error("Exited is false after Wait returned the exit")
		}
	})
}
