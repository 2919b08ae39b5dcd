package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/fgdproject/fgd/internal/daemontest"
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
