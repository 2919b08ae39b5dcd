package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// SIGTERM during a sync: the server stops at once, but the audit log stays
// open until the reconciler has finished that sync and recorded it, and is
// closed only then.
func TestRunClosesTheAuditLogAfterTheLastSync(t *testing.T) {
	bin := daemontest.Build(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hold, started, release := filepath.Join(dir, "hold"), filepath.Join(dir, "started"), filepath.Join(dir, "release")
	// The exec sink blocks, once hold exists, until release does (or hold
	// is gone with the test's folder, so a failed test leaves no script).
	script := fmt.Sprintf(`if [ -e %[1]s ]; then touch %[2]s; while [ ! -e %[3]s ] && [ -e %[1]s ]; do sleep 0.05; done; fi; cat >/dev/null`, hold, started, release)
	cfg, port := daemontest.Config(t, dir, fmt.Sprintf(`shutdown_timeout: 10m
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - exec: {command: [sh, -c, %s], timeout: 10m}
`, strconv.Quote(script)))
	fgdRoot, auditPath := filepath.Join(dir, "lab"), filepath.Join(dir, "state", "audit.log")
	dropVPC(t, fgdRoot, "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("the first sync's audit record", daemonWait, func() bool { return syncRecords(auditPath) == 1 })

	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, fgdRoot, "vpc-2")
	d.WaitFor("the second sync to reach the exec sink", daemonWait, func() bool { return fileExists(started) })
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Every actor has been interrupted once the server stops answering.
	d.WaitFor("the server to stop", daemonWait, func() bool { c, _ := d.Get("/healthz"); return c == 0 })
	if !holdsOpen(t, d.PID(), auditPath) {
		t.Fatal("the audit log was closed while a sync was still running")
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(daemonWait); err != nil {
		t.Fatalf("fgd did not stop cleanly: %v", err)
	}
	if n := len(auditSyncs(t, filepath.Join(dir, "state"), "lab")); n != 2 {
		t.Fatalf("%d sync records in the audit log, want 2 (the one running at SIGTERM too)", n)
	}
}

// syncRecords counts the whole lines of the audit log at path that record a
// sync; the file may be missing, or a line half written.
func syncRecords(path string) int {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	n := 0
	for _, l := range lines[:len(lines)-1] {
		if strings.Contains(l, `"action":"sync"`) {
			n++
		}
	}
	return n
}

// holdsOpen reports whether process pid has path open.
func holdsOpen(t *testing.T, pid int, path string) bool {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}
