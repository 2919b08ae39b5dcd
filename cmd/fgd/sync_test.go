package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/state"
)

// cliResult is what a command run in the background returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runSync runs cmdSync in the background.
func runSync(args ...string) <-chan cliResult {
	ch := make(chan cliResult, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := cmdSync(args, &stdout, &stderr)
		ch <- cliResult{code, stdout.String(), stderr.String()}
	}()
	return ch
}

// result waits (up to a generous bound) for the command to end.
func result(t *testing.T, ch <-chan cliResult) cliResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("fgd sync did not end within 20s")
		return cliResult{}
	}
}

// called waits for the controller's next Sync call.
func (d *apiDaemon) called(t *testing.T) {
	t.Helper()
	select {
	case <-d.ctl.calls:
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon got no sync request within 20s")
	}
}

// runningSync returns the ID of the running sync of fabric.
func (d *apiDaemon) runningSync(t *testing.T, fabric string) string {
	t.Helper()
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	id := d.ctl.running[fabric]
	if id == "" {
		t.Fatalf("no sync of %s is running", fabric)
	}
	return id
}

var stages = []state.SyncState{state.SyncInitializing, state.SyncDiscovering, state.SyncProcessing, state.SyncSyncing, state.SyncReconciling}

// liveBuffer is a stdout the test can watch while the command writes it.
type liveBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // signalled (without blocking) on every write
}

func (l *liveBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return l.b.Write(p)
}

func (l *liveBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits (up to a generous bound) until the output holds s.
func (l *liveBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(l.String(), s) {
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatalf("the output never showed %q:\n%s", s, l.String())
		}
	}
}

// TestSyncWaitCompleted follows a sync stage by stage: each stage must
// show before the next one happens, so the stages are shown live.
func TestSyncWaitCompleted(t *testing.T) {
	d := newTestDaemon(t, false)
	out := &liveBuffer{wrote: make(chan struct{}, 1)}
	ch := make(chan cliResult, 1)
	go func() {
		var stderr bytes.Buffer
		code := cmdSync([]string{"dc1", "--wait", "--server", d.url, "--token-file", d.tokenFile}, out, &stderr)
		ch <- cliResult{code, out.String(), stderr.String()}
	}()
	d.called(t)
	id := d.runningSync(t, "dc1")
	out.waitFor(t, "  pending ")
	for _, st := range stages {
		d.ctl.step(t, id, st, "", "")
		out.waitFor(t, "  "+string(st)+" ")
	}
	d.ctl.step(t, id, state.SyncCompleted, "", "")
	r := result(t, ch)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// Not a terminal: one line per stage, in order, each stage once.
	want := []string{"sync dc1-1 of dc1 (api 127.0.0.1:", "token=operator)", "pending", "+0.00s", "initializing", "+1.00s", "discovering",
		"processing", "syncing", "reconciling", "completed", "+6.00s",
		"sync dc1-1 of dc1 completed in 6.0s: 2 created, 1 updated, 0 deleted, 7 unchanged"}
	assertInOrder(t, "stdout", r.stdout, want)
	for _, st := range append(stages, "pending", "completed") {
		if n := strings.Count(r.stdout, "  "+string(st)+" "); n != 1 {
			t.Errorf("stage %s shown %d times:\n%s", st, n, r.stdout)
		}
	}
	if r.stderr != "" || strings.Contains(r.stdout, "\r") {
		t.Errorf("stderr %q; stdout has a carriage return: %q", r.stderr, r.stdout)
	}
}

// TestSyncWaitForASyncNotStartedYet: the controller answers with the ID
// before the sync is in the daemon's state; fgd sync --wait waits for it.
func TestSyncWaitForASyncNotStartedYet(t *testing.T) {
	d := newTestDaemon(t, false)
	d.ctl.lazy = true
	out := &liveBuffer{wrote: make(chan struct{}, 1)}
	ch := make(chan cliResult, 1)
	go func() {
		var stderr bytes.Buffer
		code := cmdSync([]string{"dc1", "--wait", "--server", d.url, "--token-file", d.tokenFile}, out, &stderr)
		ch <- cliResult{code, out.String(), stderr.String()}
	}()
	d.called(t)
	id := d.runningSync(t, "dc1")
	if err := d.ctl.start(id, "dc1", "manual"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "  pending ")
	d.ctl.step(t, id, state.SyncCompleted, "", "")
	if r := result(t, ch); r.code != 0 || !strings.Contains(r.stdout, "sync dc1-1 of dc1 completed") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestSyncWaitFailed(t *testing.T) {
	d := newTestDaemon(t, false)
	t.Setenv(tokenFileEnv, d.tokenFile) // the token from the environment
	ch := runSync("dc1", "--wait", "--server", d.url)
	d.called(t)
	id := d.runningSync(t, "dc1")
	d.ctl.step(t, id, state.SyncInitializing, "", "")
	d.ctl.step(t, id, state.SyncFailed, "exec sink: kubectl apply failed", "check the controller's address in the sink's command")
	r := result(t, ch)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	assertInOrder(t, "stdout", r.stdout, []string{"initializing", "failed", "sync dc1-1 of dc1 failed in 2.0s"})
	assertInOrder(t, "stderr", r.stderr, []string{"sync dc1-1 of dc1 failed: exec sink: kubectl apply failed",
		"fix: check the controller's address", "sink exec (3 attempts): exit status 1"})
}

func TestSyncWaitJSON(t *testing.T) {
	d := newTestDaemon(t, false)
	ch := runSync("dc1", "--wait", "--output", "json", "--server", d.url, "--token-file", d.tokenFile)
	d.called(t)
	id := d.runningSync(t, "dc1")
	d.ctl.step(t, id, state.SyncCompleted, "", "")
	r := result(t, ch)
	var sv httpapi.SyncView
	if err := json.Unmarshal([]byte(r.stdout), &sv); r.code != 0 || err != nil || !sv.Done || sv.ID != id {
		t.Fatalf("exit %d, %v\nstdout %s\nstderr %s", r.code, err, r.stdout, r.stderr)
	}
}

func TestSyncWaitsForTheRunningOne(t *testing.T) {
	d := newTestDaemon(t, false)
	running, err := d.ctl.Sync("dc1", "poll")
	if err != nil {
		t.Fatal(err)
	}
	d.called(t)
	ch := runSync("dc1", "--wait", "--server", d.url, "--token-file", d.tokenFile)
	d.called(t) // answered 409: the client now follows the running sync
	d.ctl.step(t, running, state.SyncCompleted, "", "")
	r := result(t, ch)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	assertInOrder(t, "stderr", r.stderr, []string{"a sync of dc1 is already in progress (" + running + "); waiting for it instead"})
	assertInOrder(t, "stdout", r.stdout, []string{"sync " + running + " of dc1 (poll)", "completed"})
}

func TestSyncCommand(t *testing.T) {
	d := newTestDaemon(t, false)
	dead := deadAddress(t)
	busy, err := d.ctl.Sync("lab", "poll")
	if err != nil {
		t.Fatal(err)
	}
	d.called(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{name: "started", args: []string{"dc1", "--token-file", d.tokenFile}, wantOut: []string{"sync dc1-2 of dc1 started"}},
		{name: "started, json", args: []string{"edge", "--token-file", d.tokenFile, "--output", "json"},
			wantOut: []string{`{"sync_id":"edge-3","status_url":"/api/v1/syncs/edge-3"}`}},
		{name: "already running", args: []string{"dc1", "--token-file", d.tokenFile},
			wantCode: 1, wantErr: []string{"a sync of dc1 is already in progress: dc1-2", "follow it: fgd sync dc1 --wait"}},
		{name: "busy", args: []string{"lab", "--token-file", d.tokenFile}, wantCode: 1,
			wantErr: []string{"a sync of lab is already in progress: " + busy}},
		{name: "unknown fabric", args: []string{"nope", "--token-file", d.tokenFile}, wantCode: 1,
			wantErr: []string{`unknown fabric "nope"`, "(HTTP 404)", "fix: GET /api/v1/fabrics"}},
		{name: "no token", args: []string{"dc1"}, wantCode: 1,
			wantErr: []string{"needs the operator's bearer token (HTTP 401)", "no token was sent: pass --token-file FILE or set FGD_TOKEN_FILE"}},
		{name: "wrong token", args: []string{"dc1", "--token-file", d.readFile}, wantCode: 1,
			wantErr: []string{"the bearer token is not valid (HTTP 401)"}},
		{name: "unreachable", args: []string{"dc1", "--server", dead, "--token-file", d.tokenFile}, wantCode: 1,
			wantErr: []string{"cannot reach fgd at http://" + dead, "is fgd running?"}},
		{name: "no fabric", args: []string{"--wait"}, wantCode: 2, wantErr: []string{"give exactly one FABRIC", "Usage: fgd sync"}},
		{name: "two fabrics", args: []string{"dc1", "lab"}, wantCode: 2, wantErr: []string{"give exactly one FABRIC"}},
		{name: "bad timeout", args: []string{"dc1", "--timeout", "-1s"}, wantCode: 2, wantErr: []string{`--timeout must be more than 0, not "-1s"`}},
		{name: "unknown flag", args: []string{"dc1", "--force"}, wantCode: 2, wantErr: []string{"--force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tokenFileEnv, "")
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--server") {
				args = append(args, "--server", d.url)
			}
			var stdout, stderr bytes.Buffer
			code := cmdSync(args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			assertInOrder(t, "stdout", stdout.String(), tt.wantOut)
			assertInOrder(t, "stderr", stderr.String(), tt.wantErr)
		})
	}
}

func TestSyncWaitTimeout(t *testing.T) {
	d := newTestDaemon(t, false)
	r := result(t, runSync("dc1", "--wait", "--timeout", "300ms", "--server", d.url, "--token-file", d.tokenFile))
	if r.code != 1 || !strings.Contains(r.stderr, "gave up waiting after 300ms; sync dc1-1 goes on") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestSyncProgressOnATerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true)
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	sv := httpapi.SyncView{ID: "dc1-7", Fabric: "dc1", Started: start}
	for i, st := range []state.SyncState{"pending", "initializing", "discovering"} {
		sv.State = st
		sv.Seconds = float64(i)
		sv.Transitions = append(sv.Transitions, httpapi.TransitionView{State: st, At: start.Add(time.Duration(i) * time.Second)})
		p.show(sv)
		p.show(sv) // nothing new: nothing printed
	}
	p.done()
	want := "\rsync dc1-7 of dc1: pending (0.0s)" +
		"\rsync dc1-7 of dc1: initializing (1.0s)" +
		"\rsync dc1-7 of dc1: discovering (2.0s)" + strings.Repeat(" ", len("initializing")-len("discovering")) + "\n"
	if b.String() != want {
		t.Errorf("terminal progress\n%q\nwant\n%q", b.String(), want)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("progress holds an escape sequence")
	}
}
