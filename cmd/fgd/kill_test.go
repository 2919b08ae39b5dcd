package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// kill -9 of the daemon in the middle of syncs, then restart: the fabric
// reaches the same end state, and the exec sink is not run again for what
// it had already applied.
func TestDaemonKill9ThenRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon repeatedly")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	fgdRoot := filepath.Join(dir, "lab")
	calls := filepath.Join(dir, "exec-calls")
	applied := filepath.Join(dir, "exec-applied")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
shutdown_timeout: 10s
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - directory: {path: published, prune: true}
      - exec: {command: [sh, -c, "cat >> %s; echo run >> %s"], timeout: 20s}
`, port, applied, calls)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	const files = 60
	for i := range files {
		dropVPC(t, fgdRoot, fmt.Sprintf("vpc-%02d", i))
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	for trial := range 8 {
		d := daemontest.Start(t, bin, dir, cfg, port)
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		d.Kill()
		// More input arrives between crashes.
		dropVPC(t, fgdRoot, fmt.Sprintf("late-%d", trial))
	}

	// The last run converges.
	d := daemontest.Start(t, bin, dir, cfg, port)
	want := files + 8
	managedCount := func() int {
		entries, _ := os.ReadDir(filepath.Join(fgdRoot, "managed", "vpcs"))
		return len(entries) - 1 // .gitkeep
	}
	d.WaitFor("every resource to be managed", daemonWait, func() bool { return managedCount() == want })
	publishedCount := func() int {
		entries, _ := os.ReadDir(filepath.Join(dir, "published", "current", "vpcs"))
		return len(entries)
	}
	d.WaitFor("every resource to be published", daemonWait, func() bool { return publishedCount() == want })
	appliedAll := func() bool {
		b, _ := os.ReadFile(applied)
		for i := range files {
			if !strings.Contains(string(b), fmt.Sprintf("name: vpc-%02d\n", i)) {
				return false
			}
		}
		return true
	}
	d.WaitFor("the exec sink to have applied every resource", daemonWait, appliedAll)
	d.WaitFor("the daemon to be idle", daemonWait, func() bool {
		_, body := d.Get("/metrics")
		return strings.Contains(body, "fgd_active_syncs 0")
	})
	entries, _ := os.ReadDir(filepath.Join(fgdRoot, "raw"))
	for _, e := range entries {
		if e.Name() != ".gitkeep" {
			t.Errorf("raw/%s left behind", e.Name())
		}
	}
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM exit (shutdown_timeout is 10s): %v", err)
	}

	// A restart with nothing new runs the command no more.
	before := countRuns(calls)
	d = daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })
	time.Sleep(300 * time.Millisecond)
	if after := countRuns(calls); after != before {
		t.Errorf("after a clean restart the exec sink ran again (%d → %d runs)", before, after)
	}
}

func countRuns(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "run\n")
}
