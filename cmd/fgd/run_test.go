package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// daemonWait bounds every wait for a state of the test daemon: generous,
// so a slow, loaded machine does not fail a test (minutes: only a hang
// hits it), never a timing target.
const daemonWait = 2 * time.Minute

const e2eVPC = testdocs.VPCFormat

func dropVPC(t *testing.T, fgdRoot, name string) string {
	t.Helper()
	p := filepath.Join(fgdRoot, "raw", name+".yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(fmt.Sprintf(e2eVPC, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(fgdRoot, "managed", "vpcs", name+".yaml")
}

func writeConfig(t *testing.T, path string, port int, fabrics ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:%d\nstate_dir: state\nshutdown_timeout: 20s\nfabrics:\n", port)
	for _, f := range fabrics {
		fmt.Fprintf(&b, "  - name: %s\n    source:\n      dir: {path: %s, debounce: 50ms, rescan_interval: 1h}\n", f, f)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// The end-to-end acceptance point, with the real binary.
func TestDaemonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	writeConfig(t, cfg, port, "alpha", "beta")
	for _, f := range []string{"alpha", "beta"} {
		if err := os.MkdirAll(filepath.Join(dir, f, ".hnp"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Hold beta's FGD lock so its first sync cannot finish: /readyz must
	// stay 503 until the lock is released.
	lock, err := fgd.Acquire(context.Background(), filepath.Join(dir, "beta"), time.Second)
	if err != nil {
		t.Fatal(err)
	}

	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/healthz", daemonWait, func() bool { c, _ := d.Get("/healthz"); return c == 200 })
	code, body := d.Get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"beta"`) {
		t.Fatalf("/readyz while beta's first sync waits = %d %s, want 503 naming beta", code, body)
	}
	var ready struct {
		Ready   bool
		Fabrics []struct{ Fabric, Reason string }
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready.Ready {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("/readyz 200", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })

	// Files dropped into raw/ are ingested, and the counters move.
	before := d.Metric(`fgd_syncs_total{fabric="alpha",result="success"}`)
	managed := dropVPC(t, filepath.Join(dir, "alpha"), "vpc-1")
	d.WaitFor("alpha ingests vpc-1", daemonWait, func() bool { return fileExists(managed) })
	d.WaitFor("the sync counter to move", daemonWait, func() bool {
		return d.Metric(`fgd_syncs_total{fabric="alpha",result="success"}`) > before
	})
	if v := d.Metric(`fgd_files_processed_total{fabric="alpha",outcome="ingested"}`); v < 1 {
		t.Errorf("fgd_files_processed_total{alpha,ingested} = %v, want ≥ 1", v)
	}
	// Every series the daemon exports follows Prometheus conventions.
	_, exposition := d.Get("/metrics")
	problems, err := promlint.New(strings.NewReader(exposition)).Lint()
	if err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %+v", err, problems)
	}
	for _, name := range []string{"fgd_build_info", "fgd_syncs_total", "fgd_sync_duration_seconds_bucket",
		"fgd_files_processed_total", "fgd_active_syncs", "fgd_last_sync_success_timestamp_seconds",
		"fgd_resources", "fgd_config_last_reload_successful", "go_goroutines", "process_open_fds"} {
		if !strings.Contains(exposition, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := d.Metric(`fgd_config_last_reload_successful`); v != 1 {
		t.Errorf("fgd_config_last_reload_successful = %v, want 1", v)
	}

	// SIGHUP after adding a third fabric starts it.
	if err := os.MkdirAll(filepath.Join(dir, "gamma"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, cfg, port, "alpha", "beta", "gamma")
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("gamma to start", daemonWait, func() bool { _, body := d.Get("/readyz"); return strings.Contains(body, `"gamma"`) })
	gamma := dropVPC(t, filepath.Join(dir, "gamma"), "vpc-g")
	d.WaitFor("gamma ingests after SIGHUP", daemonWait, func() bool { return fileExists(gamma) })
	// Logs say "none" as [] and durations in units, not null and nanoseconds.
	d.WaitFor("the reload's log line", daemonWait, func() bool { return strings.Contains(d.Log(), `"msg":"config reloaded"`) })
	if l := d.Log(); !strings.Contains(l, `"removed":[]`) || strings.Contains(l, `"removed":null`) {
		t.Errorf("the reload's log line lists no removed fabric as null:\n%s", l)
	}

	// SIGHUP with a broken config keeps the fabrics running, reload metric 0.
	if err := os.WriteFile(cfg, []byte("listen: [\nfabrics: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("reload failure metric", daemonWait, func() bool { return d.Metric(`fgd_config_last_reload_successful`) == 0 })
	// The log line follows the metric; the test reads the log asynchronously.
	d.WaitFor("an error log line naming the rejected reload", daemonWait, func() bool {
		return strings.Contains(d.Log(), "config reload rejected")
	})
	for _, f := range []string{"alpha", "beta"} {
		m := dropVPC(t, filepath.Join(dir, f), "after-bad-reload")
		d.WaitFor(f+" keeps syncing after a rejected reload", daemonWait, func() bool { return fileExists(m) })
	}
	// The status page says so until a reload takes.
	if _, page := d.Get("/"); !strings.Contains(page, `data-notice="config-reload"`) || !strings.Contains(page, "fgd check-config") {
		t.Errorf("the status page shows no notice of the rejected reload:\n%s", page)
	}
	writeConfig(t, cfg, port, "alpha", "beta", "gamma")
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("a reload that takes", daemonWait, func() bool { return d.Metric(`fgd_config_last_reload_successful`) == 1 })
	if _, page := d.Get("/"); strings.Contains(page, `data-notice="config-reload"`) {
		t.Error("the notice of the rejected reload stays after a reload that took")
	}

	// SIGTERM exits 0 within the drain timeout.
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(40 * time.Second); err != nil {
		t.Fatalf("fgd run after SIGTERM (shutdown_timeout is 20s): %v", err)
	}
	if l := d.Log(); !strings.Contains(l, `"drain_timeout":"20s"`) {
		t.Errorf("the shutdown log line gives no drain_timeout of \"20s\":\n%s", l)
	}
}

func TestRunRefusesABadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("listne: 127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := dispatch([]string{"run", "--config", cfg}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "config.yaml:1") || !strings.Contains(errb.String(), "listne") {
		t.Errorf("stderr %q does not name the file, line and key", errb.String())
	}
}

// The daemon itself, not only the sdnotify package, speaks to systemd:
// READY=1 once the config is applied, WATCHDOG=1 pings, STOPPING=1 on SIGTERM.
func TestDaemonNotifiesSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	writeConfig(t, cfg, port, "alpha")
	d := daemontest.Start(t, bin, dir, cfg, port, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000")

	var seen []string
	next := func() string {
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no datagram (seen so far %q): %v", seen, err)
		}
		return string(buf[:n])
	}
	want := []string{"READY=1", "WATCHDOG=1", "STOPPING=1"}
	for _, w := range want {
		for {
			msg := next()
			seen = append(seen, msg)
			if strings.Contains(msg, w) {
				break
			}
			if w != "STOPPING=1" && strings.Contains(msg, "STOPPING=1") {
				t.Fatalf("STOPPING=1 before %s: %q", w, seen)
			}
		}
		if w == "WATCHDOG=1" {
			if err := d.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.Wait(40 * time.Second); err != nil {
		t.Fatalf("exit after SIGTERM (shutdown_timeout is 20s): %v", err)
	}
}
