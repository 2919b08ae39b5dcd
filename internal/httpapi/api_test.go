package httpapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
)

// jsonKeys returns the sorted keys of a JSON object.
func jsonKeys(t *testing.T, raw string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return slices.Sorted(maps.Keys(m))
}

func TestAPIFabricsShapes(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)

	var list FabricList
	idx := e.get(t, "/api/v1/fabrics", "", &list)
	if idx == "" || idx != strconv.FormatUint(list.Index, 10) || list.Index != e.store.Index(state.TableResources) {
		t.Errorf("X-FGD-Index %q, body index %d, store index %d: want all equal", idx, list.Index, e.store.Index(state.TableResources))
	}
	if got := names(list.Fabrics); !slices.Equal(got, []string{"dc1", "dc2", "lab"}) {
		t.Fatalf("fabrics %v", got)
	}
	dc1, dc2 := list.Fabrics[0], list.Fabrics[1]
	if !maps.Equal(dc1.Resources, map[string]int{"VPC": 2, "Switch": 1}) || dc1.Revision != "0123456789abcdef0123" ||
		dc1.LastSuccess == nil || !dc1.LastSuccess.Equal(t0) || dc1.State != state.FabricIdle || dc1.LastSyncID != "old-1" {
		t.Errorf("dc1 = %+v", dc1)
	}
	if want := map[string]string{"git:https://git.example/dc1.git": "open", "sink:dc1/exec-0": "closed"}; !maps.Equal(dc1.Circuits, want) {
		t.Errorf("dc1 circuits = %v, want %v", dc1.Circuits, want)
	}
	wantFiles := []UnmanagedFileView{{Path: "unmanaged/gateway.yaml", Reasons: []string{`document 0, line 2: kind "Gateway" <is not> managed (hint: remove it)`}}}
	if dc1.Unmanaged != 2 || !reflect.DeepEqual(dc1.UnmanagedFiles, wantFiles) {
		t.Errorf("dc1 unmanaged = %d %+v, want 2 %+v", dc1.Unmanaged, dc1.UnmanagedFiles, wantFiles)
	}
	if dc2.Unmanaged != 0 || dc2.UnmanagedFiles == nil || len(dc2.UnmanagedFiles) != 0 {
		t.Errorf("dc2 unmanaged = %d %#v, want 0 and an empty list", dc2.Unmanaged, dc2.UnmanagedFiles)
	}
	if len(dc2.Resources) != 0 || dc2.Resources == nil || dc2.LastSuccess != nil || dc2.State != state.FabricFailed ||
		!strings.Contains(dc2.LastError, "authentication required") || dc2.Remediation == "" {
		t.Errorf("dc2 = %+v", dc2)
	}

	// The wire names, as fgd status and other clients read them.
	_, _, raw := e.call(t, "GET", "/api/v1/fabrics", "")
	if got := jsonKeys(t, raw); !slices.Equal(got, []string{"fabrics", "index"}) {
		t.Errorf("list keys %v", got)
	}
	_, _, raw = e.call(t, "GET", "/api/v1/fabrics/dc2", "")
	want := []string{"last_error", "modify_index", "name", "remediation", "resources", "revision", "state", "suspended",
		"unmanaged", "unmanaged_files"}
	if got := jsonKeys(t, raw); !slices.Equal(got, want) {
		t.Errorf("fabric keys %v, want %v", got, want)
	}
	_, _, raw = e.call(t, "GET", "/api/v1/fabrics/dc1", "")
	if got := jsonKeys(t, raw); !slices.Contains(got, "last_success") || !slices.Contains(got, "last_sync_id") || !slices.Contains(got, "circuits") {
		t.Errorf("fabric keys %v lack last_success, last_sync_id or circuits", got)
	}

	var one FabricView
	e.get(t, "/api/v1/fabrics/dc1", "", &one)
	if one.Name != "dc1" || one.Resources["VPC"] != 2 || one.Signer != "Alice Operator <alice@example.org> (openpgp key 179896862361EB17)" {
		t.Errorf("GET /api/v1/fabrics/dc1 = %+v", one)
	}
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/api/v1/fabrics/nope", 404, `"error":"unknown fabric \"nope\""`},
		{"/api/v1/fabrics/nope/resources", 404, `"remediation":`},
		{"/api/v1/syncs/nope", 404, `unknown sync`},
		{"/api/v1/fabrics?wait=x", 400, `not an index`},
		{"/api/v1/fabrics?wait=1&timeout=-1s", 400, `not a positive duration`},
		{"/api/v1/syncs/x?wait=maybe", 400, `not 1 or 0`},
		{"/api/v1/events?after=x", 400, `not an event id`},
	}
	for _, tt := range tests {
		status, h, body := e.call(t, "GET", tt.path, "")
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) || h.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s = %d %s (%s), want %d with %s", tt.path, status, body, h.Get("Content-Type"), tt.wantStatus, tt.wantBody)
		}
	}
}

func names(fs []FabricView) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func TestAPIResources(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	tests := []struct {
		path     string
		wantKeys []string
	}{
		{"/api/v1/fabrics/dc1/resources", []string{
			"vpc.githedgehog.com/VPC/default/vpc-1", "vpc.githedgehog.com/VPC/default/vpc-2", "wiring.githedgehog.com/Switch/default/leaf-1"}},
		{"/api/v1/fabrics/dc1/resources?kind=VPC", []string{"vpc.githedgehog.com/VPC/default/vpc-1", "vpc.githedgehog.com/VPC/default/vpc-2"}},
		{"/api/v1/fabrics/dc1/resources?kind=Connection", []string{}},
		{"/api/v1/fabrics/dc2/resources", []string{}},
	}
	for _, tt := range tests {
		var list ResourceList
		e.get(t, tt.path, "", &list)
		got := make([]string, len(list.Resources))
		for i, r := range list.Resources {
			got[i] = r.Key
		}
		if !slices.Equal(got, tt.wantKeys) || list.Resources == nil {
			t.Errorf("GET %s keys = %v, want %v", tt.path, got, tt.wantKeys)
		}
	}
	var list ResourceList
	e.get(t, "/api/v1/fabrics/dc1/resources?kind=Switch", "", &list)
	r := res("Switch", "leaf-1")
	want := ResourceView{Key: r.Key, Kind: "Switch", Name: "leaf-1", Namespace: "default", Path: r.Path, Hash: state.HashBytes(r.Body)}
	if list.Fabric != "dc1" || list.Revision != "0123456789abcdef0123" || len(list.Resources) != 1 || !reflect.DeepEqual(list.Resources[0], want) {
		t.Errorf("GET ?kind=Switch = %+v, want %+v", list, want)
	}
	_, _, raw := e.call(t, "GET", "/api/v1/fabrics/dc1/resources?kind=Switch", "")
	if strings.Contains(raw, "kind: Switch") {
		t.Errorf("the list carries the manifests' bodies: %s", raw)
	}
	var item map[string]any
	var body struct{ Resources []json.RawMessage }
	_ = json.Unmarshal([]byte(raw), &body)
	_ = json.Unmarshal(body.Resources[0], &item)
	if got := slices.Sorted(maps.Keys(item)); !slices.Equal(got, []string{"hash", "key", "kind", "name", "namespace", "path"}) {
		t.Errorf("resource keys %v", got)
	}
}

func TestAPISyncSuspendResume(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)

	// 202, with the sync in the store at once.
	status, h, body := e.call(t, "POST", "/api/v1/fabrics/dc1/sync", opToken)
	var acc SyncAccepted
	if err := json.Unmarshal([]byte(body), &acc); status != 202 || err != nil || acc.SyncID == "" ||
		acc.StatusURL != "/api/v1/syncs/"+acc.SyncID || h.Get("Location") != acc.StatusURL {
		t.Fatalf("POST sync = %d %s (Location %q)", status, body, h.Get("Location"))
	}
	if calls := e.ctl.calls; len(calls) != 1 || !strings.HasPrefix(calls[0], "sync dc1 api 127.0.0.1:") || !strings.HasSuffix(calls[0], " token=ops-team") {
		t.Errorf("controller calls %q, want the trigger naming the caller's address and token name", calls)
	}
	var sv SyncView
	e.get(t, acc.StatusURL, "", &sv)
	if sv.ID != acc.SyncID || sv.State != state.SyncPending || sv.Done || sv.Fabric != "dc1" {
		t.Errorf("GET %s = %+v", acc.StatusURL, sv)
	}

	// 409 while it runs, naming it.
	status, _, body = e.call(t, "POST", "/api/v1/fabrics/dc1/sync", opToken)
	var eb ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); status != 409 || err != nil || eb.Error != "a sync is in progress" ||
		eb.SyncID != acc.SyncID || eb.StatusURL != acc.StatusURL || eb.Remediation == "" {
		t.Errorf("second POST sync = %d %s", status, body)
	}
	// 404 for an unknown fabric.
	if status, _, body = e.call(t, "POST", "/api/v1/fabrics/nope/sync", opToken); status != 404 || !strings.Contains(body, "unknown fabric") {
		t.Errorf("POST sync of an unknown fabric = %d %s", status, body)
	}

	// Suspend and resume answer with the fabric.
	var f FabricView
	status, _, body = e.call(t, "POST", "/api/v1/fabrics/lab/suspend", opToken)
	if err := json.Unmarshal([]byte(body), &f); status != 200 || err != nil || !f.Suspended || f.State != state.FabricSuspended || f.Name != "lab" {
		t.Errorf("POST suspend = %d %s", status, body)
	}
	status, _, body = e.call(t, "POST", "/api/v1/fabrics/lab/sync", opToken)
	if status != 409 || !strings.Contains(body, "suspended") || !strings.Contains(body, "/api/v1/fabrics/lab/resume") {
		t.Errorf("POST sync of a suspended fabric = %d %s", status, body)
	}
	status, _, body = e.call(t, "POST", "/api/v1/fabrics/lab/resume", opToken)
	if err := json.Unmarshal([]byte(body), &f); status != 200 || err != nil || f.Suspended || f.State != state.FabricIdle {
		t.Errorf("POST resume = %d %s", status, body)
	}
	for _, p := range []string{"suspend", "resume"} {
		if status, _, _ = e.call(t, "POST", "/api/v1/fabrics/nope/"+p, opToken); status != 404 {
			t.Errorf("POST %s of an unknown fabric = %d, want 404", p, status)
		}
	}
	if status, h, _ = e.call(t, "GET", "/api/v1/fabrics/dc1/sync", opToken); status != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET on the sync endpoint = %d (Allow %q), want 405 POST", status, h.Get("Allow"))
	}

	// The audit log names the token, never its value, and the caller's
	// address.
	var got []string
	for _, en := range e.auditEntries(t) {
		got = append(got, en.Action+" "+en.Fabric+" "+en.Outcome+" "+en.Actor)
		if !strings.HasPrefix(en.Remote, "127.0.0.1:") || en.Time.IsZero() {
			t.Errorf("audit entry %+v lacks the remote address or the time", en)
		}
	}
	want := []string{
		"sync dc1 accepted ops-team", "sync dc1 busy ops-team", "sync nope unknown_fabric ops-team",
		"suspend lab ok ops-team", "sync lab suspended ops-team", "resume lab ok ops-team",
		"suspend nope unknown_fabric ops-team", "resume nope unknown_fabric ops-team",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if first := e.auditEntries(t)[0]; first.Revision != "0123456789abcdef0123" || !strings.Contains(first.Detail, acc.SyncID) {
		t.Errorf("the sync's audit entry = %+v, want the fabric's revision and the sync id", first)
	}
}

func TestAPISyncView(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	id, err := e.ctl.Sync("dc2", "poll")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []state.SyncState{state.SyncInitializing, state.SyncDiscovering, state.SyncProcessing, state.SyncSyncing, state.SyncRetrying} {
		e.ctl.step(t, id, st, "", "")
	}
	e.ctl.step(t, id, state.SyncFailed, "push to origin: rejected (password=hunter2-secret)", "fetch and retry")

	var sv SyncView
	idx := e.get(t, "/api/v1/syncs/"+id, "", &sv)
	if !sv.Done || sv.State != state.SyncFailed || sv.Finished == nil || sv.Seconds != 6 || idx != strconv.FormatUint(sv.Index, 10) {
		t.Errorf("sync = %+v (index header %s)", sv, idx)
	}
	if len(sv.Transitions) != 7 || sv.Transitions[0].State != state.SyncPending || sv.Transitions[6].State != state.SyncFailed {
		t.Fatalf("transitions %+v", sv.Transitions)
	}
	for i, tr := range sv.Transitions {
		if last := i == len(sv.Transitions)-1; (tr.Seconds == nil) != last || (!last && *tr.Seconds != 1) {
			t.Errorf("transition %d = %+v, want 1s spent (none for the last)", i, tr)
		}
	}
	if sv.Diff != (DiffView{Create: 2, Update: 1, Unchanged: 7}) || len(sv.Sinks) != 1 || sv.Sinks[0].Name != "exec" || sv.Sinks[0].Attempts != 1 {
		t.Errorf("diff %+v, sinks %+v", sv.Diff, sv.Sinks)
	}
	if strings.Contains(sv.Error, "hunter2") || !strings.Contains(sv.Error, "push to origin") || sv.Remediation != "fetch and retry" {
		t.Errorf("error %q, remediation %q: want the error with its password redacted", sv.Error, sv.Remediation)
	}
	_, _, raw := e.call(t, "GET", "/api/v1/syncs/"+id, "")
	want := []string{"changes", "diff", "done", "error", "fabric", "finished", "id", "index", "remediation", "seconds", "sinks", "started", "state", "transitions", "trigger"}
	if got := jsonKeys(t, raw); !slices.Equal(got, want) {
		t.Errorf("sync keys %v, want %v", got, want)
	}
	// The fabric shows the failure.
	var f FabricView
	e.get(t, "/api/v1/fabrics/dc2", "", &f)
	if f.State != state.FabricFailed || f.LastSyncID != id || strings.Contains(f.LastError, "hunter2") {
		t.Errorf("dc2 after the failed sync = %+v", f)
	}
}

// TestAPIRejectedRequestsAreAudited: every refused request has its audit
// line, naming the token presented by its configured name (or anonymous).
func TestAPIRejectedRequestsAreAudited(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true, readToken: true})
	e.seed(t)
	e.call(t, "GET", "/api/v1/fabrics", "")
	e.call(t, "GET", "/api/v1/fabrics/dc1", "not-"+rdToken)
	e.call(t, "POST", "/api/v1/fabrics/dc1/sync", rdToken)
	e.call(t, "POST", "/api/v1/fabrics/dc1/suspend", "")
	var got []string
	for _, en := range e.auditEntries(t) {
		if en.Action != audit.ActionRejected || en.Outcome != audit.OutcomeRejected {
			t.Errorf("entry %+v is not a rejection", en)
		}
		got = append(got, en.Actor+" "+en.Fabric+" "+en.Detail)
	}
	want := []string{
		"anonymous  GET /api/v1/fabrics: Unauthorized: no bearer token",
		"anonymous dc1 GET /api/v1/fabrics/dc1: Unauthorized: wrong bearer token",
		"grafana dc1 POST /api/v1/fabrics/dc1/sync: Forbidden: read token on a mutating call",
		"anonymous dc1 POST /api/v1/fabrics/dc1/suspend: Unauthorized: no bearer token",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(e.ctl.calls) != 0 {
		t.Errorf("rejected calls reached the controller: %v", e.ctl.calls)
	}
}

// TestAPIRoutesTable: the event stream has no write deadline; every other
// API route has one.
func TestAPIRoutesTable(t *testing.T) {
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{State: store, Controller: &testController{store: store}})
	seen := map[string]bool{}
	for _, r := range s.routes() {
		if strings.Contains(r.pattern, "/api/") {
			seen[r.pattern] = r.streaming
		}
	}
	want := map[string]bool{
		"GET /api/v1/fabrics": false, "GET /api/v1/fabrics/{name}": false, "GET /api/v1/fabrics/{name}/resources": false,
		"GET /api/v1/syncs/{id}": false, "GET /api/v1/events": true,
		"POST /api/v1/fabrics/{name}/sync": false, "POST /api/v1/fabrics/{name}/suspend": false, "POST /api/v1/fabrics/{name}/resume": false,
	}
	if !maps.Equal(seen, want) {
		t.Errorf("API routes (pattern: streaming) %v, want %v", seen, want)
	}
	// Without a store there is no API; without a controller no POSTs.
	for _, tc := range []struct {
		opts Options
		n    int
	}{{Options{}, 0}, {Options{State: store}, 5}} {
		n := 0
		for _, r := range New(tc.opts).routes() {
			if strings.Contains(r.pattern, "/api/") {
				n++
			}
		}
		if n != tc.n {
			t.Errorf("%d API routes, want %d", n, tc.n)
		}
	}
	ts := serve(t, Options{State: store})
	if status, _, _ := do(t, "POST", ts.URL+"/api/v1/fabrics/dc1/sync", http.Header{"Authorization": {"Bearer x"}}); status != 405 && status != 404 {
		t.Errorf("POST sync without a controller = %d, want 404 or 405", status)
	}
}

// TestFabricCountsFollowTheStore: the cached resource counts of the list
// change with every write to a desired set, a fabric's removal and its
// return included.
func TestFabricCountsFollowTheStore(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	steps := []struct {
		name  string
		write func(t *testing.T)
	}{
		{"as seeded", func(*testing.T) {}},
		{"a resource added", func(t *testing.T) {
			e.desired(t, "dc1", "r2", res("VPC", "vpc-1"), res("VPC", "vpc-2"), res("Switch", "leaf-1"), res("Server", "s"))
		}},
		{"the set emptied", func(t *testing.T) { e.desired(t, "dc1", "r3") }},
		{"another fabric's set", func(t *testing.T) { e.desired(t, "lab", "r2", res("VPC", "a"), res("VPC", "b")) }},
		{"a fabric removed", func(t *testing.T) {
			if err := e.store.DeleteFabric("lab"); err != nil {
				t.Fatal(err)
			}
		}},
		{"and back with another set", func(t *testing.T) {
			upsert(t, e, state.Fabric{Name: "lab"})
			e.desired(t, "lab", "r9", res("Switch", "x"))
		}},
	}
	for _, st := range steps {
		st.write(t)
		var list FabricList
		e.get(t, "/api/v1/fabrics", "", &list)
		for _, f := range list.Fabrics {
			want, err := e.store.DesiredByKind(nil, f.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(f.Resources, want) {
				t.Errorf("%s: %s counts %v, the store has %v", st.name, f.Name, f.Resources, want)
			}
			var one FabricView
			e.get(t, "/api/v1/fabrics/"+f.Name, "", &one)
			if !maps.Equal(one.Resources, want) {
				t.Errorf("%s: GET %s counts %v, the store has %v", st.name, f.Name, one.Resources, want)
			}
		}
	}
}
