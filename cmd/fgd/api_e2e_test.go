package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// The REST API on the real daemon: tokens, 202/409, the sync record, the
// CLI clients, and the test's secrets nowhere (state dir, logs, answers).
func TestDaemonAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	const token = "op-s3cret-t0ken-value"
	bin := daemontest.Build(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
api: {token_file: %s, token_name: ops-team}
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms}
    sinks:
      - directory: {path: published}
`, port, tokenFile)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, filepath.Join(dir, "lab"), "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })

	var answers strings.Builder
	call := func(method, path, bearer string) (int, string) {
		req, err := http.NewRequest(method, d.Base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answers.Write(b)
		return resp.StatusCode, string(b)
	}

	d.WaitFor("the VPC in the desired set", daemonWait, func() bool {
		_, b := call("GET", "/api/v1/fabrics/lab/resources", "")
		return strings.Contains(b, "vpc-1")
	})
	if code, b := call("GET", "/api/v1/fabrics", ""); code != 200 || !strings.Contains(b, `"lab"`) {
		t.Errorf("GET /api/v1/fabrics = %d %s", code, b)
	}
	if code, _ := call("POST", "/api/v1/fabrics/lab/sync", ""); code != http.StatusUnauthorized {
		t.Errorf("sync without a token = %d, want 401", code)
	}
	if code, _ := call("POST", "/api/v1/fabrics/lab/sync", "wrong-token"); code != http.StatusUnauthorized {
		t.Errorf("sync with a wrong token = %d, want 401", code)
	}

	// Hold the FGD's lock so the sync stays in flight: a second one is 409.
	lock, err := fgd.Acquire(context.Background(), filepath.Join(dir, "lab"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	code, b := call("POST", "/api/v1/fabrics/lab/sync", token)
	var accepted struct {
		SyncID    string `json:"sync_id"`
		StatusURL string `json:"status_url"`
	}
	if err := json.Unmarshal([]byte(b), &accepted); code != http.StatusAccepted || err != nil || accepted.SyncID == "" {
		t.Fatalf("sync = %d %s, want 202 with a sync_id", code, b)
	}
	d.WaitFor("the sync to be running", daemonWait, func() bool {
		_, b := call("GET", accepted.StatusURL, "")
		return strings.Contains(b, `"initializing"`)
	})
	if code, b := call("POST", "/api/v1/fabrics/lab/sync", token); code != http.StatusConflict || !strings.Contains(b, accepted.SyncID) {
		t.Errorf("sync while one runs = %d %s, want 409 naming %s", code, b, accepted.SyncID)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if code, b := call("GET", accepted.StatusURL+"?wait=1", ""); code != 200 || !strings.Contains(b, `"completed"`) {
		t.Errorf("GET %s?wait=1 = %d %s, want the completed sync", accepted.StatusURL, code, b)
	}

	// The CLI clients against the same daemon.
	var out, errb strings.Builder
	if rc := dispatch([]string{"status", "--server", d.Base}, &out, &errb); rc != 0 || !strings.Contains(out.String(), "lab") {
		t.Errorf("fgd status = %d, %q %q", rc, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if rc := dispatch([]string{"sync", "lab", "--wait", "--server", d.Base, "--token-file", tokenFile}, &out, &errb); rc != 0 {
		t.Errorf("fgd sync --wait = %d, %q %q", rc, out.String(), errb.String())
	}
	answers.WriteString(out.String() + errb.String())

	// The secret appears nowhere: API answers, logs, the state directory.
	if strings.Contains(answers.String(), token) {
		t.Error("an API answer contains the token")
	}
	if strings.Contains(d.Log(), token) {
		t.Error("the daemon log contains the token")
	}
	auditSeen := false
	_ = filepath.WalkDir(filepath.Join(dir, "state"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), token) {
			t.Errorf("%s contains the token", p)
		}
		if strings.HasPrefix(filepath.Base(p), "audit") && strings.Contains(string(b), "ops-team") {
			auditSeen = true
		}
		return nil
	})
	if !auditSeen {
		t.Error("the audit log does not name the token used (ops-team)")
	}
}
