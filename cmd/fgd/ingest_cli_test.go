package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// TestPlanWritesNothing is acceptance point 7: `fgd plan` leaves every path,
// mode and byte as it was (.hnp/ included), and its exit codes and JSON.
func TestPlanWritesNothing(t *testing.T) {
	bin := daemontest.Build(t)
	fresh := t.TempDir()
	for _, n := range []string{"demo-gitops__env-1__demo.yaml", "fabric__config__samples__wiring_v1alpha2_switchgroup.yaml", "demo-gitops__env-1__demo.reset.yaml"} {
		b, err := os.ReadFile(filepath.Join(ingestCorpus, n))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(fresh, "raw"), 0o755)
		os.WriteFile(filepath.Join(fresh, "raw", n), b, 0o644)
	}
	existing := t.TempDir()
	copyTree(t, fresh, existing)
	if code, _, errOut := runFGD(t, bin, "ingest", existing); code != 0 {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
	settled := t.TempDir()
	copyTree(t, existing, settled)
	os.WriteFile(filepath.Join(existing, "raw/new.yaml"), []byte(renamed(corpusDoc(t, "docs__docs__user-guide__devices.md__L178__Server.yaml"), "new-server")), 0o644)

	for _, tc := range []struct {
		name     string
		dir      string
		wantCode int // with --detailed-exitcode
	}{
		{"fresh folder with only raw/", fresh, 2},
		{"existing FGD with a new drop", existing, 2},
		{"existing FGD with nothing to do", settled, 0},
		{"missing folder", filepath.Join(fresh, "nope"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before map[string]string
			if _, err := os.Stat(tc.dir); err == nil {
				before = snapshot(t, tc.dir, true)
			}
			code, out, errOut := runFGD(t, bin, "plan", tc.dir, "--detailed-exitcode")
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.wantCode, out, errOut)
			}
			if code == 1 && !strings.Contains(errOut, "nope") {
				t.Errorf("error does not name the folder: %s", errOut)
			}
			plain, _, _ := runFGD(t, bin, "plan", tc.dir)
			wantPlain := 0
			if tc.wantCode == 1 {
				wantPlain = 1
			}
			if plain != wantPlain {
				t.Errorf("without --detailed-exitcode: exit %d, want %d", plain, wantPlain)
			}
			jcode, jout, _ := runFGD(t, bin, "plan", "--output", "json", tc.dir)
			if before == nil {
				return
			}
			if jcode != 0 {
				t.Fatalf("plan --output json: exit %d", jcode)
			}
			var rep map[string]json.RawMessage
			if err := json.Unmarshal([]byte(jout), &rep); err != nil {
				t.Fatalf("JSON: %v\n%s", err, jout)
			}
			for _, k := range []string{"files", "resources", "created", "updated", "unchanged", "unmanaged", "conflicts", "errors"} {
				if _, ok := rep[k]; !ok {
					t.Errorf("JSON lacks %q", k)
				}
			}
			var errs []map[string]any
			json.Unmarshal(rep["errors"], &errs)
			for _, e := range errs {
				for _, k := range []string{"file", "document", "line", "path", "message"} {
					if _, ok := e[k]; !ok {
						t.Errorf("error item lacks %q: %v", k, e)
					}
				}
			}
			if tc.name == "fresh folder with only raw/" && len(errs) == 0 {
				t.Error("the switchgroup sample's rejection is not in errors")
			}
			if d := snapshotDiff(before, snapshot(t, tc.dir, true)); d != "" {
				t.Fatalf("plan changed the tree:\n%s", d)
			}
		})
	}
}

// TestIngestTwoProcessesAtOnce is acceptance point 6: two `fgd ingest` on
// one FGD at once both succeed, one waits for the other, and the tree is
// the one a single run makes.
func TestIngestTwoProcessesAtOnce(t *testing.T) {
	bin := daemontest.Build(t)
	base := t.TempDir()
	files := 300
	for attempt := 0; attempt < 4; attempt++ {
		tmpl := filepath.Join(base, fmt.Sprintf("tmpl%d", attempt))
		generateInputs(t, tmpl, files)
		single := filepath.Join(base, fmt.Sprintf("single%d", attempt))
		copyTree(t, tmpl, single)
		if code, _, errOut := runFGD(t, bin, "ingest", single, "--fabric", "two"); code != 0 {
			t.Fatalf("single run: %d %s", code, errOut)
		}
		dir := filepath.Join(base, fmt.Sprintf("both%d", attempt))
		copyTree(t, tmpl, dir)

		a, aout := startIngest(t, bin, dir)
		// Start the second once the first holds the lock (its PID is in the lock file).
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		waitFor(ctx, t, func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, ".hnp/lock"))
			return strings.TrimSpace(string(b)) == strconv.Itoa(a.Process.Pid)
		})
		cancel()
		b, bout := startIngest(t, bin, dir)
		errA, errB := a.Wait(), b.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("exits: %v / %v\n%s\n%s", errA, errB, aout, bout)
		}
		var ra, rb struct {
			LockWaitedMS  int64 `json:"lock_waited_ms"`
			LockWaitedFor int   `json:"lock_waited_for_pid"`
			Files         []any `json:"files"`
		}
		if err := json.Unmarshal(aout.Bytes(), &ra); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(bout.Bytes(), &rb); err != nil {
			t.Fatal(err)
		}
		if d := snapshotDiff(snapshot(t, single, false), snapshot(t, dir, false)); d != "" {
			t.Fatalf("two concurrent runs left a different tree than one run:\n%s", d)
		}
		if rb.LockWaitedMS > 0 {
			if rb.LockWaitedFor != a.Process.Pid {
				t.Errorf("second run waited for pid %d, want %d", rb.LockWaitedFor, a.Process.Pid)
			}
			if len(rb.Files) != 0 {
				t.Errorf("second run found %d files the first had handled", len(rb.Files))
			}
			t.Logf("second run waited %dms for pid %d (%d files)", rb.LockWaitedMS, rb.LockWaitedFor, files)
			return
		}
		t.Logf("attempt %d: the first run finished before the second asked for the lock; retrying bigger", attempt)
		files *= 2
	}
	t.Fatal("never saw the second run wait for the first")
}

func startIngest(t *testing.T, bin, dir string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, "ingest", dir, "--fabric", "two", "--output", "json", "--lock-timeout", "2m")
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met in time")
		case <-tick.C:
		}
	}
}
