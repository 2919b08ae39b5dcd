package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// Signed commits on the real daemon: check-config takes the keys, the
// fabric applies a signed head and signs its own commit, the API and
// /metrics show it; an unsigned commit stalls the fabric with the
// remediation in the API, and the published tree stays.
func TestDaemonSignedCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
	fgdKey := gittest.NewSSHKey(t, "fgd@example.invalid")
	bin := daemontest.Build(t)
	dir := t.TempDir()
	remote := gittest.NewRemote(t, dir, "fabric.git", "main", map[string]string{"README.md": "fabric\n"})
	remote.SignedChange(t, alice, "vpc-a", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: dc1
    source:
      git:
        url: %q
        path: fgd
        interval: 1s
        verify:
          mode: all
          openpgp_keyring_file: %s
          ssh_allowed_signers_file: %s
        author: {name: fgd, email: fgd@example.invalid, signing_key_file: %s}
    sinks:
      - directory: {path: published}
`, port, remote.FileURL(), gittest.WriteKeyring(t, dir, "trusted.asc", alice),
		gittest.WriteAllowedSigners(t, dir, "allowed_signers", fgdKey), fgdKey.KeyFile)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := cmdCheckConfig([]string{cfg}, &out, &errOut); code != 0 {
		t.Fatalf("check-config: exit %d: %s%s", code, out.String(), errOut.String())
	}

	d := daemontest.Start(t, bin, dir, cfg, port)
	fabric := func() httpapi.FabricView {
		var v httpapi.FabricView
		if _, b := d.Get("/api/v1/fabrics/dc1"); json.Unmarshal([]byte(b), &v) != nil {
			return httpapi.FabricView{}
		}
		return v
	}
	// A follow-up sync (a poll trigger that came during the first) may
	// still run when the revision shows: wait for the fabric to be idle.
	d.WaitFor("fgd's signed commit applied", daemonWait, func() bool {
		log := remote.Log(t)
		v := fabric()
		return len(log) == 3 && strings.Contains(log[0], "|fgd|") && v.Revision == remote.Head(t) && v.State == "idle"
	})
	if v := fabric(); v.State != "idle" || !strings.Contains(v.Signer, "fgd@example.invalid") {
		t.Errorf("after fgd's commit: %+v", v)
	}
	if err := remote.VerifyCommit(t, remote.Head(t), fgdKey, filepath.Join(dir, "allowed_signers")); err != nil {
		t.Errorf("git verify-commit refuses fgd's commit: %v", err)
	}
	published := filepath.Join(dir, "published", "current", "vpcs", "vpc-a.yaml")
	if _, err := os.Stat(published); err != nil {
		t.Errorf("vpc-a is not published: %v", err)
	}
	if n := d.Metric(`fgd_git_verification_total{remote="` + remote.FileURL() + `",result="passed"}`); n < 1 {
		t.Errorf("fgd_git_verification_total passed = %v", n)
	}

	unsigned := remote.SignedChange(t, nil, "vpc-b", map[string]string{"fgd/raw/b.yaml": fmt.Sprintf(e2eVPC, "vpc-b")})
	d.WaitFor("the unsigned commit refused", daemonWait, func() bool { return strings.Contains(fabric().Remediation, unsigned) })
	if v := fabric(); v.State != "failed" || !strings.Contains(v.Remediation, "unsigned") || !strings.Contains(v.Signer, "fgd@example.invalid") {
		t.Errorf("after the unsigned commit: %+v", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "published", "current", "vpcs", "vpc-b.yaml")); err == nil {
		t.Error("the unsigned commit's VPC was published")
	}
	if _, err := os.Stat(published); err != nil {
		t.Errorf("the verified revision's VPC is gone: %v", err)
	}
	if strings.Contains(d.Log(), "PRIVATE KEY") {
		t.Error("the daemon's log holds a private key")
	}
}
