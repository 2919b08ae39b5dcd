package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

// The test's API tokens. No answer, log line or audit line may hold them.
const (
	opToken = "op-Tk-9f8e7d6c5b4a39281706"
	rdToken = "rd-Tk-1a2b3c4d5e6f70819203"
)

// t0 dates the test's syncs.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testController stands in for the daemon's controller (the reconciler's):
// it writes to the store what the reconciler would — a pending sync before
// Sync returns, the fabric's suspended flag — and lets the test drive a sync
// through its states.
type testController struct {
	store *state.Store

	mu      sync.Mutex
	n       int
	running map[string]string // fabric → running sync ID
	calls   []string          // "sync dc1 <trigger>", "suspend dc1", ...
}

func (c *testController) Sync(fabric, trigger string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "sync "+fabric+" "+trigger)
	f, err := c.store.Fabric(nil, fabric)
	if err != nil {
		return "", err
	}
	if f == nil {
		return "", ErrUnknownFabric
	}
	if f.Suspended {
		return "", ErrSuspended
	}
	if id := c.running[fabric]; id != "" {
		return "", &BusyError{SyncID: id}
	}
	c.n++
	id := fmt.Sprintf("%s-%04d", fabric, c.n)
	started := t0.Add(time.Duration(c.n) * time.Minute)
	if err := c.store.UpsertSync(state.Sync{ID: id, Fabric: fabric, Trigger: trigger, State: state.SyncPending, Started: started,
		Transitions: []state.Transition{{State: state.SyncPending, At: started}}}); err != nil {
		return "", err
	}
	f.State, f.LastSyncID = state.FabricSyncing, id
	if err := c.store.UpsertFabric(*f); err != nil {
		return "", err
	}
	c.running[fabric] = id
	return id, nil
}

func (c *testController) Suspend(fabric string) error { return c.setSuspended(fabric, true) }
func (c *testController) Resume(fabric string) error  { return c.setSuspended(fabric, false) }

func (c *testController) setSuspended(fabric string, v bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf("suspended %s %v", fabric, v))
	f, err := c.store.Fabric(nil, fabric)
	if err != nil {
		return err
	}
	if f == nil {
		return ErrUnknownFabric
	}
	f.Suspended, f.State = v, state.FabricIdle
	if v {
		f.State = state.FabricSuspended
	}
	return c.store.UpsertFabric(*f)
}

// step moves sync id into st, a second after its previous state; a final
// state finishes it (failed with errMsg when that is not empty).
func (c *testController) step(t *testing.T, id string, st state.SyncState, errMsg, remediation string) {
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
		s.Sinks = []state.SinkResult{{Name: "exec", Attempts: 1, Status: "applied", Output: "configured 3"}}
		delete(c.running, s.Fabric)
	}
	if err := c.store.UpsertSync(*s); err != nil {
		t.Fatal(err)
	}
	if s.Done() {
		f, _ := c.store.Fabric(nil, s.Fabric)
		f.State = state.FabricIdle
		if st == state.SyncCompleted {
			f.LastSuccess = at
		} else {
			f.State, f.LastError, f.Remediation = state.FabricFailed, errMsg, remediation
		}
		if err := c.store.UpsertFabric(*f); err != nil {
			t.Fatal(err)
		}
	}
}

// apiEnv is a real Server over a real store, served by httptest on
// loopback, with token files in a temp dir and an audit log.
type apiEnv struct {
	url      string
	store    *state.Store
	ctl      *testController
	dir      string
	opFile   string
	rdFile   string
	audit    string // the audit log's path
	logs     *testlog.Buffer
	mu       sync.Mutex
	bodies   []string // every answer body, for the secrets check
	auditLog *audit.Log
}

// envConfig says which tokens an apiEnv configures.
type envConfig struct {
	operator  bool // api.token_file
	readToken bool // api.read_token_file
	heartbeat time.Duration
	limits    state.Limits
}

func newAPIEnv(t testing.TB, cfg envConfig) *apiEnv {
	t.Helper()
	dir := t.TempDir()
	store, err := state.NewWithLimits(cfg.limits)
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{store: store, ctl: &testController{store: store, running: map[string]string{}}, dir: dir,
		opFile: filepath.Join(dir, "api-token"), rdFile: filepath.Join(dir, "read-token"),
		audit: filepath.Join(dir, "state", audit.FileName), logs: &testlog.Buffer{}}
	e.auditLog, err = audit.New(e.audit, 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := Tokens{OperatorName: "ops-team", ReadName: "grafana"}
	if cfg.operator {
		writeToken(t, e.opFile, opToken)
		tokens.OperatorFile = e.opFile
	}
	if cfg.readToken {
		writeToken(t, e.rdFile, rdToken)
		tokens.ReadFile = e.rdFile
	}
	s := New(Options{
		State:          store,
		Controller:     e.ctl,
		Tokens:         tokens,
		Audit:          e.auditLog,
		EventHeartbeat: cfg.heartbeat,
		Logger:         slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	e.url = serveHandler(t, s.Handler())
	return e
}

// serveHandler serves h on a loopback httptest server until the test ends
// and returns its URL.
func serveHandler(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// writeToken writes a token file as an operator would (mode 0600).
func writeToken(t testing.TB, path, token string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// seed fills the store: fabrics dc1 (3 resources: 2 VPCs, a Switch), dc2
// (none) and lab (one Server).
func (e *apiEnv) seed(t testing.TB) {
	t.Helper()
	for _, f := range []state.Fabric{
		{Name: "dc1", State: state.FabricIdle, Revision: "0123456789abcdef0123", Signer: "Alice Operator <alice@example.org> (openpgp key 179896862361EB17)",
			LastSuccess: t0, LastSyncID: "old-1",
			Circuits:       map[string]string{"git:https://git.example/dc1.git": "open", "sink:dc1/exec-0": "closed"},
			UnmanagedCount: 2, Unmanaged: []state.UnmanagedFile{{Path: "unmanaged/gateway.yaml",
				Reasons: []string{`document 0, line 2: kind "Gateway" <is not> managed (hint: remove it)`}}}},
		{Name: "dc2", State: state.FabricFailed, Revision: "fedcba9876543210", LastError: "clone https://git.example/x.git: authentication required",
			Remediation: "check fabrics[1].source.git.auth"},
		{Name: "lab", State: state.FabricIdle, Revision: "r1"},
	} {
		if err := e.store.UpsertFabric(f); err != nil {
			t.Fatal(err)
		}
	}
	e.desired(t, "dc1", "0123456789abcdef0123", res("VPC", "vpc-1"), res("VPC", "vpc-2"), res("Switch", "leaf-1"))
	e.desired(t, "lab", "r1", res("Server", "srv-1"))
}

// desired replaces fabric's desired set.
func (e *apiEnv) desired(t testing.TB, fabric, rev string, rs ...state.Resource) {
	t.Helper()
	if err := e.store.ReplaceDesired(fabric, rev, rs); err != nil {
		t.Fatal(err)
	}
}

// res builds a desired resource with its key as resource.Identity makes it.
func res(kind, name string) state.Resource {
	group := "vpc.githedgehog.com"
	if kind == "Switch" || kind == "Server" {
		group = "wiring.githedgehog.com"
	}
	return state.Resource{
		Key: group + "/" + kind + "/default/" + name, Kind: kind, Name: name, Namespace: "default",
		Path: "managed/" + strings.ToLower(kind) + "s/" + name + ".yaml", Body: []byte("kind: " + kind + "\nname: " + name + "\n"),
	}
}

// call sends one request with an optional bearer token and returns the
// status, headers and body; every body is kept for the secrets check.
func (e *apiEnv) call(t testing.TB, method, path, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(t, req)
}

// send sends req and returns the status, headers and body; every body is
// kept for the secrets check.
func (e *apiEnv) send(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.bodies = append(e.bodies, string(body))
	e.mu.Unlock()
	return resp.StatusCode, resp.Header, string(body)
}

// get decodes a 200 answer into v and returns its X-FGD-Index header.
func (e *apiEnv) get(t testing.TB, path, token string, v any) string {
	t.Helper()
	status, h, body := e.call(t, "GET", path, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return h.Get(indexHeader)
}

// auditEntries reads the audit log.
func (e *apiEnv) auditEntries(t testing.TB) []audit.Entry {
	t.Helper()
	data, err := os.ReadFile(e.audit)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var en audit.Entry
		if err := json.Unmarshal([]byte(l), &en); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, en)
	}
	return out
}
