package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// An exec sink whose command fails twice then succeeds: two backed-off
// retries, then success, all visible in GET /api/v1/syncs/{id} of the real
// daemon.
func TestDaemonExecSinkRetriesVisibleInAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	script := fmt.Sprintf(`cat >/dev/null; echo x >> %[1]s; [ "$(wc -l < %[1]s)" -gt 2 ] || { echo "boom" >&2; exit 7; }`, calls)
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - exec: {command: [sh, -c, %q], timeout: 20s}
`, port, script)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, filepath.Join(dir, "lab"), "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	type syncView struct {
		State string `json:"state"`
		Sinks []struct {
			Name     string `json:"name"`
			Attempts int    `json:"attempts"`
			Status   string `json:"status"`
			Error    string `json:"error"`
		} `json:"sinks"`
	}
	var seen syncView
	// The daemon's log names every finished sync; the API shows each one.
	syncIDs := regexp.MustCompile(`"msg":"sync completed[^"]*".*?"sync_id":"([0-9a-f]+)"`)
	d.WaitFor("a sync whose exec sink succeeded on its third attempt", daemonWait, func() bool {
		for _, m := range syncIDs.FindAllStringSubmatch(d.Log(), -1) {
			code, b := d.Get("/api/v1/syncs/" + m[1])
			if code != http.StatusOK || json.Unmarshal([]byte(b), &seen) != nil {
				continue
			}
			if seen.State == "completed" && len(seen.Sinks) == 1 && seen.Sinks[0].Attempts == 3 {
				return true
			}
		}
		return false
	})
	if s := seen.Sinks[0]; s.Name != "exec-0" || s.Status != "applied" {
		t.Errorf("sink record %+v, want exec-0 applied", s)
	}
}

// The prune guard of an exec sink on the real daemon: once every managed
// file is gone, a sink without allow_empty runs nothing and the sync fails
// with the guard's message; a sink with allow_empty: true gives every
// resource it applied to its prune command.
func TestDaemonExecSinkAllowEmpty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	port := daemontest.FreePort(t)
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte("allow-empty-test-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	fabric := func(name string, allowEmpty bool) string {
		return fmt.Sprintf(`  - name: %[1]s
    source:
      dir: {path: %[1]s, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - exec:
          command: [sh, -c, 'cat >> %[2]s/%[1]s.applied']
          prune_command: [sh, -c, 'cat >> %[2]s/%[1]s.pruned']
          allow_empty: %[3]t
`, name, dir, allowEmpty)
	}
	body := fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\napi: {token_file: %s}\nfabrics:\n", port, tokenFile) +
		fabric("guarded", false) + fabric("allowed", true)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	managed := map[string]string{}
	for _, f := range []string{"guarded", "allowed"} {
		managed[f] = dropVPC(t, filepath.Join(dir, f), "vpc-"+f)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	for _, f := range []string{"guarded", "allowed"} {
		d.WaitFor(f+"'s VPC applied", daemonWait, func() bool { return strings.Contains(read(f+".applied"), "name: vpc-"+f) })
		// The sink ran inside the startup sync; the sync asked for below
		// must be a new one, not that sync, which a loaded machine may
		// still be finishing.
		d.WaitFor(f+"'s startup sync to end", daemonWait, func() bool {
			_, b := d.Get("/api/v1/fabrics/" + f)
			return strings.Contains(b, `"state":"idle"`)
		})
		// Emptied by hand, as a bad merge or a wrong restore would.
		if err := os.Remove(managed[f]); err != nil {
			t.Fatal(err)
		}
	}
	sync := func(f string) (int, string) {
		var out, errb strings.Builder
		rc := dispatch([]string{"sync", f, "--wait", "--server", d.Base, "--token-file", tokenFile}, &out, &errb)
		return rc, out.String() + errb.String()
	}
	if rc, out := sync("guarded"); rc == 0 || !strings.Contains(out, "refusing to prune every resource") {
		t.Errorf("guarded: fgd sync exited %d: %s\nwant a failure naming the prune guard", rc, out)
	}
	if got := read("guarded.pruned"); got != "" {
		t.Errorf("the guarded sink's prune command ran: %q", got)
	}
	if rc, out := sync("allowed"); rc != 0 {
		t.Errorf("allowed: fgd sync exited %d: %s", rc, out)
	}
	if got := read("allowed.pruned"); !strings.Contains(got, "name: vpc-allowed") {
		t.Errorf("the allowed sink's prune command got %q, want vpc-allowed's manifest", got)
	}
}
