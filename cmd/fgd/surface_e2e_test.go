package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// Limits of the connection flood the daemon must take.
const (
	floodConns    = 5000
	floodCap      = 500
	floodFDMargin = 128 // the daemon's own files, the listener, refusals in flight
)

// startFloodDaemon runs the real daemon with one dir fabric and
// api.max_connections floodCap; it returns the daemon and the FGD.
func startFloodDaemon(tb testing.TB, bin string) (*daemontest.Daemon, string) {
	tb.Helper()
	dir := tb.TempDir()
	port := daemontest.FreePort(tb)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
api: {max_connections: %d, max_event_streams: 50}
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms}
`, port, floodCap)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
	lab := filepath.Join(dir, "lab")
	if err := os.MkdirAll(lab, 0o755); err != nil {
		tb.Fatal(err)
	}
	d := daemontest.Start(tb, bin, dir, cfg, port)
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })
	return d, lab
}

// holdIdle opens n connections to the daemon that never send a request,
// calling each after every step connections; they are closed when the
// test ends.
func holdIdle(tb testing.TB, base string, n, step int, each func(opened int)) {
	tb.Helper()
	addr := base[len("http://"):]
	conns := make([]net.Conn, 0, n)
	tb.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, time.Minute)
		if err != nil {
			tb.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if each != nil && (i+1)%step == 0 {
			each(i + 1)
		}
	}
}

// 5,000 idle connections to the real daemon: it holds no more than its cap
// (plus its own files), /healthz answers, and a dropped file is still
// ingested while the connections are held. Then a forged Host is refused.
func TestDaemonTakesAConnectionFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	d, lab := startFloodDaemon(t, bin)
	before, err := daemontest.ProcUsage(d.PID())
	if err != nil {
		t.Fatal(err)
	}
	// The Go runtime raised the soft open-file limit to the hard one.
	if limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", d.PID())); err == nil {
		for _, l := range strings.Split(string(limits), "\n") {
			if f := strings.Fields(strings.TrimPrefix(l, "Max open files")); strings.HasPrefix(l, "Max open files") && len(f) >= 2 && f[0] != f[1] {
				t.Errorf("the daemon's open-file limit is soft %s, hard %s: want the soft one raised", f[0], f[1])
			}
		}
	}
	maxFDs := 0
	check := func(opened int) {
		u, err := daemontest.ProcUsage(d.PID())
		if err != nil {
			t.Fatalf("after %d connections: %v", opened, err)
		}
		maxFDs = max(maxFDs, u.FDs)
		if u.FDs > floodCap+floodFDMargin {
			t.Fatalf("after %d connections the daemon holds %d file descriptors, more than api.max_connections %d + %d",
				opened, u.FDs, floodCap, floodFDMargin)
		}
	}
	holdIdle(t, d.Base, floodConns, 250, check)

	if code, body := d.Get("/healthz"); code != 200 {
		t.Errorf("/healthz with %d connections held = %d %q, want 200", floodConns, code, body)
	}
	managed := dropVPC(t, lab, "vpc-flood")
	d.WaitFor("the dropped file to be ingested", daemonWait, func() bool {
		_, err := os.Stat(managed)
		return err == nil
	})
	check(floodConns)

	// A name that is not the daemon's gets 421, reads and writes alike;
	// the listen address is answered.
	for _, c := range []struct {
		method, host string
		want         int
	}{
		{"GET", "rebind.evil.example", http.StatusMisdirectedRequest},
		{"POST", "rebind.evil.example", http.StatusMisdirectedRequest},
		{"GET", d.Base[len("http://"):], http.StatusOK},
		{"GET", "localhost:" + d.Base[strings.LastIndexByte(d.Base, ':')+1:], http.StatusOK},
	} {
		path := "/api/v1/fabrics/lab/resources"
		if c.method == "POST" {
			path = "/api/v1/fabrics/lab/sync"
		}
		req, _ := http.NewRequest(c.method, d.Base+path, nil)
		req.Host = c.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s with Host %q = %d, want %d", c.method, path, c.host, resp.StatusCode, c.want)
		}
	}
	// The refused requests are counted in audit-rejected.log once fgd
	// stops, and the operators' audit log holds none of them.
	if err := d.Stop(time.Minute); err != nil {
		t.Fatalf("stop: %v", err)
	}
	state := filepath.Join(filepath.Dir(lab), "state")
	rej, err := os.ReadFile(filepath.Join(state, "audit-rejected.log"))
	if err != nil || !strings.Contains(string(rej), `"reason":"421 Host not allowed"`) || !strings.Contains(string(rej), `"count":2`) {
		t.Errorf("audit-rejected.log = %q (%v), want the two refused requests counted", rej, err)
	}
	if ops, err := os.ReadFile(filepath.Join(state, "audit.log")); err != nil || strings.Contains(string(ops), "rejected_request") {
		t.Errorf("audit.log = %q (%v), want no rejected request in it", ops, err)
	}
	t.Logf("file descriptors: %d before, at most %d during %d connections (cap %d)", before.FDs, maxFDs, floodConns, floodCap)
}
