package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// The fix-a-file round trip on the real daemon: a rejected file shows in
// the API, its fix dropped into raw/ retires the stale entry (archived,
// audited), and the count drops to 0.
func TestDaemonRetiresAFixedFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	cfg, port := daemontest.Config(t, dir, "fabrics:\n  - name: lab\n    source:\n      dir: {path: lab, debounce: 20ms}\n")
	raw := filepath.Join(dir, "lab", "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(testdocs.VPC("vpc-1"), "subnets:", "subnetz:", 1)
	if err := os.WriteFile(filepath.Join(raw, "vpc-1.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	lab := func() httpapi.FabricView {
		var v httpapi.FabricView
		_, b := d.Get("/api/v1/fabrics/lab")
		_ = json.Unmarshal([]byte(b), &v)
		return v
	}
	d.WaitFor("the rejection in the API", daemonWait, func() bool { return lab().Unmanaged == 1 })
	if r := strings.Join(lab().UnmanagedFiles[0].Reasons, "\n"); !strings.Contains(r, `did you mean "subnets"?`) {
		t.Errorf("the reasons give no fix: %s", r)
	}

	if err := os.WriteFile(filepath.Join(raw, "vpc-1.yaml"), []byte(testdocs.VPC("vpc-1")), 0o644); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("the stale entry retired", daemonWait, func() bool {
		v := lab()
		return v.Unmanaged == 0 && v.Resources["VPC"] == 1
	})
	if _, err := os.Stat(filepath.Join(dir, "lab", ".hnp", "archive", "unmanaged__vpc-1.yaml")); err != nil {
		t.Errorf("the stale entry is not in the archive: %v", err)
	}
	d.WaitFor("the audit line naming the retired entry", daemonWait, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "state", "audit.log"))
		return strings.Contains(string(b), `"retired":["unmanaged/vpc-1.yaml"]`)
	})
}
