package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// A correctly signed GitHub push wakes a git fabric whose poll interval is
// an hour; a wrong signature is refused (401), an oversized body too (413).
func TestDaemonGitHubWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	remote := gittest.NewRemote(t, dir, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	secret := gittest.WriteSecret(t, dir, "hook-secret", "hook-s3cret")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: dc1
    source:
      git: {url: %q, branch: main, path: fgd, interval: 1h, webhook_secret_file: %s, push: true}
`, port, remote.FileURL(), secret)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	has := func(path string) bool {
		_, err := gittest.RunGit(remote.Dir(), "cat-file", "-e", "refs/heads/main:"+path)
		return err == nil
	}
	d.WaitFor("the startup sync to push", daemonWait, func() bool { return has("fgd/managed/vpcs/vpc-a.yaml") })
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })

	remote.Change(t, "a new VPC", map[string]string{"fgd/raw/b.yaml": fmt.Sprintf(e2eVPC, "vpc-b")}, nil)
	payload := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"clone_url":%q}}`, remote.FileURL()))
	post := func(sig string, body []byte) int {
		req, err := http.NewRequest(http.MethodPost, d.Base+"/hooks/github", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sign := func(body []byte, key string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(body)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	if code := post(sign(payload, "not-the-secret"), payload); code != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d, want 401", code)
	}
	big := append(payload, bytes.Repeat([]byte(" "), 2<<20)...)
	if code := post(sign(big, "hook-s3cret"), big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}
	start := time.Now()
	if code := post(sign(payload, "hook-s3cret"), payload); code != http.StatusAccepted {
		t.Fatalf("signed push: %d, want 202", code)
	}
	d.WaitFor("the webhook-triggered sync to push", daemonWait, func() bool { return has("fgd/managed/vpcs/vpc-b.yaml") })
	t.Logf("signed webhook → fgd's commit on the remote: %s (poll interval 1h)", time.Since(start).Round(time.Millisecond))
	if strings.Contains(d.Log(), "hook-s3cret") {
		t.Error("the webhook secret appears in the log")
	}
}
