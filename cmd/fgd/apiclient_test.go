package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/state"
)

// cliToken is the operator token of the test daemon.
const cliToken = "cli-op-Tk-0c1d2e3f4a5b"

// stubController stands in for the daemon's controller, which is the
// reconciler's: like it, it writes a pending sync
// to the store before Sync returns, answers *BusyError while one runs, and
// the test drives each sync through its states with step. Every Sync call
// is announced on calls.
type stubController struct {
	store *state.Store
	calls chan string
	// lazy makes Sync return the new ID before the sync is in the store,
	// as a controller may whose sync starts a moment later; the test then
	// writes it with start.
	lazy bool

	mu      sync.Mutex
	n       int
	running map[string]string
}

func (c *stubController) Sync(fabric, trigger string) (string, error) {
	defer func() { c.calls <- fabric }()
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, err := c.store.Fabric(nil, fabric); err != nil || f == nil {
		return "", httpapi.ErrUnknownFabric
	}
	if id := c.running[fabric]; id != "" {
		return "", &httpapi.BusyError{SyncID: id}
	}
	c.n++
	id := fmt.Sprintf("%s-%d", fabric, c.n)
	c.running[fabric] = id
	if c.lazy {
		return id, nil
	}
	return id, c.start(id, fabric, trigger)
}

// start writes sync id of fabric to the store, pending.
func (c *stubController) start(id, fabric, trigger string) error {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return c.store.UpsertSync(state.Sync{ID: id, Fabric: fabric, Trigger: trigger, State: state.SyncPending, Started: at,
		Transitions: []state.Transition{{State: state.SyncPending, At: at}}})
}

func (c *stubController) Suspend(string) error { return nil }
func (c *stubController) Resume(string) error  { return nil }

// step moves sync id on to st, one second later; a final state finishes it.
func (c *stubController) step(t *testing.T, id string, st state.SyncState, errMsg, remediation string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.store.Sync(nil, id)
	if err != nil || s == nil {
		t.Fatalf("sync %s: %v", id, err)
	}
	at := s.Transitions[len(s.Transitions)-1].At.Add(time.Second)
	s.State = st
	s.Transitions = append(s.Transitions, state.Transition{State: st, At: at})
	if s.Done() {
		s.Finished, s.Error, s.Remediation = at, errMsg, remediation
		s.Diff = state.DiffSummary{Create: 2, Update: 1, Unchanged: 7}
		if errMsg != "" {
			s.Sinks = []state.SinkResult{{Name: "exec", Attempts: 3, Error: "exit status 1"}}
		}
		delete(c.running, s.Fabric)
	}
	if err := c.store.UpsertSync(*s); err != nil {
		t.Fatal(err)
	}
}

// apiDaemon is the API of a daemon: the real httpapi server over a real
// store, on loopback.
type apiDaemon struct {
	url       string
	store     *state.Store
	ctl       *stubController
	tokenFile string
	readFile  string
}

// newTestDaemon serves the API with three fabrics (dc1, edge, lab); readToken makes reads
// need a token too.
func newTestDaemon(t *testing.T, readToken bool) *apiDaemon {
	t.Helper()
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := &apiDaemon{store: store, ctl: &stubController{store: store, calls: make(chan string, 16), running: map[string]string{}},
		tokenFile: filepath.Join(dir, "token"), readFile: filepath.Join(dir, "read-token")}
	writeSecretFile(t, d.tokenFile, cliToken)
	writeSecretFile(t, d.readFile, "cli-read-Tk-77")
	tokens := httpapi.Tokens{OperatorFile: d.tokenFile}
	if readToken {
		tokens.ReadFile = d.readFile
	}
	last := time.Now().Add(-5 * time.Minute)
	for _, f := range []state.Fabric{
		{Name: "dc1", State: state.FabricIdle, Revision: "0123456789abcdef0123456789abcdef01234567", LastSuccess: last},
		{Name: "lab", State: state.FabricFailed, Revision: "r1", LastError: "FGD /srv/fgd/lab does not exist", Remediation: "create it"},
		{Name: "edge", State: state.FabricIdle},
	} {
		if err := store.UpsertFabric(f); err != nil {
			t.Fatal(err)
		}
	}
	rs := []state.Resource{
		{Key: "vpc.githedgehog.com/VPC/default/a", Kind: "VPC", Name: "a", Body: []byte("a")},
		{Key: "vpc.githedgehog.com/VPC/default/b", Kind: "VPC", Name: "b", Body: []byte("b")},
		{Key: "wiring.githedgehog.com/Switch/default/s", Kind: "Switch", Name: "s", Body: []byte("s")},
	}
	if err := store.ReplaceDesired("dc1", "r", rs); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(httpapi.New(httpapi.Options{State: store, Controller: d.ctl, Tokens: tokens}).Handler())
	// A test that fails while a command long-polls must not wait out the
	// poll in Close: the requests' context ends first (cleanups run last
	// registered first).
	ctx, cancel := context.WithCancel(context.Background())
	ts.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(cancel)
	d.url = ts.URL
	return d
}

func writeSecretFile(t *testing.T, path, secret string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// deadAddress returns a loopback address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(nil)
	addr := ts.Listener.Addr().String()
	ts.Close()
	return addr
}
