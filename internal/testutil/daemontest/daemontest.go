// Package daemontest runs the real fgd binary for tests and benchmarks that
// treat the daemon as a black box: build it once, start it on a config, read
// its HTTP surfaces and its log, kill it at any moment, and measure the
// process from outside (/proc).
package daemontest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles ./cmd/fgd of the module that holds the working directory
// into a temp folder of tb and returns the binary's path.
func Build(tb testing.TB) string {
	tb.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		tb.Fatalf("go list -m: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "fgd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fgd")
	cmd.Dir = strings.TrimSpace(string(root))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/fgd: %v\n%s", err, out)
	}
	return bin
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Daemon is one running `fgd run` child process.
type Daemon struct {
	tb   testing.TB
	cmd  *exec.Cmd
	Base string // http://127.0.0.1:PORT

	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
	err  error
}

// Start runs `fgd run --config cfg` with JSON debug logs, in the working
// directory dir, listening on port. The config's own relative paths resolve
// from the config file's directory whatever dir is; dir is where a relative
// cfg and exec sink commands without a dir of their own run from.
// The process is killed when the test ends if it is still running, and its
// log is printed when the test failed.
func Start(tb testing.TB, bin, dir, cfg string, port int, extraEnv ...string) *Daemon {
	tb.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg, "--log.format", "json", "--log.level", "debug")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	d := &Daemon{tb: tb, cmd: cmd, Base: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.logs.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
		}
		d.err = cmd.Wait()
		close(d.done)
	}()
	tb.Cleanup(func() {
		d.Kill()
		if tb.Failed() {
			tb.Logf("daemon log (pid %d):\n%s", cmd.Process.Pid, tail(d.Log(), 200))
		}
	})
	return d
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = append([]string{fmt.Sprintf("… %d earlier lines", len(l)-lines)}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Log is everything the daemon wrote to stderr so far.
func (d *Daemon) Log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.String()
}

// Kill sends SIGKILL and waits for the process to be gone. Safe to call
// more than once.
func (d *Daemon) Kill() {
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// Stop sends SIGTERM and waits up to timeout for the exit; it returns the
// process's exit error (nil for exit 0). A process still running after
// timeout is killed.
func (d *Daemon) Stop(timeout time.Duration) error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	if exited, err := d.exitWithin(timeout); exited {
		return err
	}
	d.Kill()
	return fmt.Errorf("fgd did not exit within %s of SIGTERM", timeout)
}

// Signal sends sig to the daemon (SIGHUP to reload, SIGTERM to stop, …).
// It fails when the process has already exited, so a test that signals a
// daemon it expects to be running learns that it is not.
func (d *Daemon) Signal(sig os.Signal) error {
	if d.Exited() {
		return fmt.Errorf("cannot send %v: fgd (pid %d) already exited (%v)", sig, d.PID(), d.err)
	}
	return d.cmd.Process.Signal(sig)
}

// Wait waits up to timeout for the process to exit and returns its exit
// error: nil for exit 0, an *exec.ExitError for another code or a signal.
// After timeout it returns an error saying the process still runs, and
// leaves it running (the test's cleanup kills it).
func (d *Daemon) Wait(timeout time.Duration) error {
	if exited, err := d.exitWithin(timeout); exited {
		return err
	}
	return fmt.Errorf("fgd (pid %d) still running after %s", d.PID(), timeout)
}

// exitWithin waits up to timeout for the process to exit; it reports
// whether it did, and then its exit error.
func (d *Daemon) exitWithin(timeout time.Duration) (bool, error) {
	limit := time.NewTimer(timeout)
	defer limit.Stop()
	select {
	case <-d.done:
		return true, d.err
	case <-limit.C:
		return false, nil
	}
}

// Exited reports whether the process has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Get fetches path from the daemon; status 0 means no answer.
func (d *Daemon) Get(path string) (int, string) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(d.Base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Metrics scrapes /metrics into series → value (the series as printed,
// labels included); nil when the daemon does not answer.
func (d *Daemon) Metrics() map[string]float64 {
	code, body := d.Get("/metrics")
	if code != http.StatusOK {
		return nil
	}
	return ParseMetrics(body)
}

// ParseMetrics reads the Prometheus text format into series → value.
func ParseMetrics(body string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// Metric is one series' value, -1 when absent or unreachable.
func (d *Daemon) Metric(series string) float64 {
	if v, ok := d.Metrics()[series]; ok {
		return v
	}
	return -1
}

// WaitFor polls cond every 50 ms until it holds, failing the test with
// what after timeout or when the daemon exits first.
func (d *Daemon) WaitFor(what string, timeout time.Duration, cond func() bool) {
	d.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			d.tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-d.done:
			if !cond() {
				d.tb.Fatalf("fgd exited (%v) while waiting for %s", d.err, what)
			}
			return
		case <-tick.C:
		}
	}
}

// Usage is what the process holds, read from /proc.
type Usage struct {
	RSSBytes   int64   // VmRSS
	FDs        int     // entries of /proc/PID/fd
	Threads    int     // Threads
	CPUSeconds float64 // time on a CPU (see cpuSeconds)
}

// ProcUsage reads the process's usage from /proc.
func ProcUsage(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			u.RSSBytes = kb << 10
		case "Threads:":
			u.Threads, _ = strconv.Atoi(f[1])
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return u, err
	}
	u.FDs = len(fds)
	u.CPUSeconds, err = cpuSeconds(pid)
	return u, err
}

// cpuSeconds is the CPU time process pid has used: the sum of the first
// field of /proc/PID/task/*/schedstat (nanoseconds on a CPU, per thread).
// An idle daemon uses less than one 10 ms clock tick in 30 s, so utime +
// stime of /proc/PID/stat would read 0; the Go runtime keeps its threads,
// so over an idle window no ended thread's time is missed. Without
// schedstat (a kernel without CONFIG_SCHED_INFO) it falls back to utime +
// stime, in ticks of USER_HZ.
func cpuSeconds(pid int) (float64, error) {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns int64
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			v, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %q: %w", p, data, err)
			}
			ns += v
		}
	}
	if ns > 0 {
		return float64(ns) / 1e9, nil
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) start at
	// field 3, so utime (14) and stime (15) are at 11 and 12.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(rest) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseFloat(rest[11], 64)
	st, err2 := strconv.ParseFloat(rest[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, rest[11], rest[12])
	}
	return (ut + st) / clockTicks, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// Config writes dir/config.yaml for a daemon on a free loopback port with
// state_dir "state" and the given YAML for the rest (fabrics, api, …), and
// returns its path and the port, for Start.
func Config(tb testing.TB, dir, rest string) (cfg string, port int) {
	tb.Helper()
	port = FreePort(tb)
	cfg = filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\n%s", port, rest)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
	return cfg, port
}
