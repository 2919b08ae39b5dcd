package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// pollResult is the answer of a request made in the background.
type pollResult struct {
	status int
	index  string
	body   string
	took   time.Duration
}

// background sends GET path and delivers the answer on the channel.
func (e *apiEnv) background(t *testing.T, path string) <-chan pollResult {
	t.Helper()
	ch := make(chan pollResult, 1)
	go func() {
		start := time.Now()
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.url+path, nil)
		if err != nil {
			ch <- pollResult{status: -1, body: err.Error()}
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- pollResult{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			ch <- pollResult{status: -1, body: err.Error()}
			return
		}
		ch <- pollResult{status: resp.StatusCode, index: resp.Header.Get(indexHeader), body: string(b), took: time.Since(start)}
	}()
	return ch
}

// stillBlocked fails the test when ch has an answer within d: a long poll
// must not answer before something changes. (A lower bound only: a correct
// server can never fail it, however slow the machine.)
func stillBlocked(t *testing.T, ch <-chan pollResult, d time.Duration, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: answered before any change: %d %s", what, r.status, r.body)
	case <-time.After(d):
	}
}

// answered waits (up to the generous bound) for the answer on ch.
func answered(t *testing.T, ch <-chan pollResult, what string) pollResult {
	t.Helper()
	select {
	case r := <-ch:
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		return r
	case <-time.After(wait):
		t.Fatalf("%s: no answer within %s", what, wait)
		return pollResult{}
	}
}

func TestLongPollReturnsOnAWrite(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	tests := []struct {
		name string
		path string
		// other is a write that must not wake the poll; touch one that must.
		other func(t *testing.T)
		touch func(t *testing.T)
		check func(t *testing.T, body string)
	}{
		{
			name:  "list, a fabric changes",
			path:  "/api/v1/fabrics",
			touch: func(t *testing.T) { upsert(t, e, state.Fabric{Name: "dc2", State: state.FabricSyncing}) },
			check: func(t *testing.T, body string) {
				var l FabricList
				mustDecode(t, body, &l)
				if l.Fabrics[1].State != state.FabricSyncing {
					t.Errorf("the answer does not show the write: %+v", l.Fabrics[1])
				}
			},
		},
		{
			name:  "list, a desired set changes",
			path:  "/api/v1/fabrics",
			other: func(t *testing.T) { addEvent(t, e) },
			touch: func(t *testing.T) { e.desired(t, "dc2", "r2", res("VPC", "new")) },
			check: func(t *testing.T, body string) {
				var l FabricList
				mustDecode(t, body, &l)
				if l.Fabrics[1].Resources["VPC"] != 1 {
					t.Errorf("the answer does not show the write: %+v", l.Fabrics[1])
				}
			},
		},
		{
			name:  "one fabric",
			path:  "/api/v1/fabrics/dc1",
			other: func(t *testing.T) { upsert(t, e, state.Fabric{Name: "lab", State: state.FabricSyncing}) },
			touch: func(t *testing.T) { upsert(t, e, state.Fabric{Name: "dc1", Revision: "r9"}) },
			check: func(t *testing.T, body string) {
				var f FabricView
				mustDecode(t, body, &f)
				if f.Revision != "r9" {
					t.Errorf("the answer does not show the write: %+v", f)
				}
			},
		},
		{
			name:  "resources",
			path:  "/api/v1/fabrics/lab/resources",
			other: func(t *testing.T) { e.desired(t, "dc1", "r10", res("VPC", "x")) },
			touch: func(t *testing.T) { e.desired(t, "lab", "r2", res("Server", "srv-1"), res("Server", "srv-2")) },
			check: func(t *testing.T, body string) {
				var l ResourceList
				mustDecode(t, body, &l)
				if len(l.Resources) != 2 || l.Revision != "r2" {
					t.Errorf("the answer does not show the write: %+v", l)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h, _ := e.call(t, "GET", tt.path, "")
			idx := h.Get(indexHeader)
			ch := e.background(t, tt.path+"?wait="+idx+"&timeout=20s")
			stillBlocked(t, ch, 300*time.Millisecond, "before any write")
			if tt.other != nil {
				tt.other(t)
				stillBlocked(t, ch, 300*time.Millisecond, "after a write elsewhere")
			}
			tt.touch(t)
			r := answered(t, ch, "after the write")
			if n, _ := strconv.ParseUint(r.index, 10, 64); n <= mustUint(t, idx) {
				t.Errorf("index %s after the write, want more than %s", r.index, idx)
			}
			tt.check(t, r.body)
		})
	}
}

func TestLongPollTimesOut(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	for _, path := range []string{"/api/v1/fabrics", "/api/v1/fabrics/dc1", "/api/v1/fabrics/dc1/resources"} {
		_, h, before := e.call(t, "GET", path, "")
		idx := h.Get(indexHeader)
		const timeout = 300 * time.Millisecond
		r := answered(t, e.background(t, fmt.Sprintf("%s?wait=%s&timeout=%s", path, idx, timeout)), path)
		if r.index != idx || r.body != before {
			t.Errorf("%s: after the timeout index %s body %s, want the unchanged %s %s", path, r.index, r.body, idx, before)
		}
		if r.took < timeout {
			t.Errorf("%s: answered after %s, before the timeout %s", path, r.took, timeout)
		}
		// An old index answers at once, a 404 too.
		r = answered(t, e.background(t, path+"?wait=1&timeout=1h"), path+" with an old index")
		if r.body != before {
			t.Errorf("%s?wait=1: %s, want %s", path, r.body, before)
		}
	}
	status, _, _ := e.call(t, "GET", "/api/v1/fabrics/nope?wait=999999&timeout=1h", "")
	if status != 404 {
		t.Errorf("long poll on an unknown fabric = %d, want 404 at once", status)
	}
}

func TestSyncWait(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	id, err := e.ctl.Sync("dc1", "poll")
	if err != nil {
		t.Fatal(err)
	}
	var sv SyncView
	e.get(t, "/api/v1/syncs/"+id, "", &sv)

	// &index=N: the next change.
	ch := e.background(t, fmt.Sprintf("/api/v1/syncs/%s?wait=1&index=%d&timeout=20s", id, sv.Index))
	stillBlocked(t, ch, 300*time.Millisecond, "?wait=1&index before a transition")
	e.ctl.step(t, id, state.SyncInitializing, "", "")
	r := answered(t, ch, "?wait=1&index after a transition")
	mustDecode(t, r.body, &sv)
	if sv.State != state.SyncInitializing || sv.Done || r.index != strconv.FormatUint(sv.Index, 10) {
		t.Errorf("after a transition: %+v (index header %s)", sv, r.index)
	}

	// wait=1 alone: until done, whatever happens before.
	ch = e.background(t, "/api/v1/syncs/"+id+"?wait=1&timeout=20s")
	stillBlocked(t, ch, 300*time.Millisecond, "?wait=1 while running")
	e.ctl.step(t, id, state.SyncDiscovering, "", "")
	stillBlocked(t, ch, 300*time.Millisecond, "?wait=1 after a transition")
	e.ctl.step(t, id, state.SyncCompleted, "", "")
	r = answered(t, ch, "?wait=1 after completion")
	mustDecode(t, r.body, &sv)
	if !sv.Done || sv.State != state.SyncCompleted || len(sv.Transitions) != 4 {
		t.Errorf("after completion: %+v", sv)
	}
	// A sync not in the store yet is waited for (one just requested may
	// take a moment to start); an ID that never comes is a 404 after the
	// timeout.
	ch = e.background(t, "/api/v1/syncs/later?wait=1&index=0&timeout=20s")
	stillBlocked(t, ch, 300*time.Millisecond, "a sync not started yet")
	if err := e.store.UpsertSync(state.Sync{ID: "later", Fabric: "dc1", State: state.SyncPending, Started: t0}); err != nil {
		t.Fatal(err)
	}
	r = answered(t, ch, "the sync appeared")
	mustDecode(t, r.body, &sv)
	if sv.ID != "later" || sv.State != state.SyncPending {
		t.Errorf("the sync that appeared: %+v", sv)
	}
	r = <-e.background(t, "/api/v1/syncs/never?wait=1&timeout=200ms")
	if r.status != 404 || r.took < 200*time.Millisecond {
		t.Errorf("waiting for a sync that never comes: %d %s after %s, want 404 after the timeout", r.status, r.body, r.took)
	}

	// A done sync answers at once; the timeout bounds a running one.
	answered(t, e.background(t, "/api/v1/syncs/"+id+"?wait=1&timeout=1h"), "wait on a done sync")
	id2, err := e.ctl.Sync("dc1", "poll")
	if err != nil {
		t.Fatal(err)
	}
	r = answered(t, e.background(t, "/api/v1/syncs/"+id2+"?wait=1&timeout=200ms"), "wait times out")
	mustDecode(t, r.body, &sv)
	if sv.Done || r.took < 200*time.Millisecond {
		t.Errorf("timed-out wait: %+v after %s", sv, r.took)
	}
}

// TestLongPollEndsAtShutdown: a real Server's shutdown answers a waiting
// long poll at once rather than holding the shutdown for its timeout.
func TestLongPollEndsAtShutdown(t *testing.T) {
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	upsertStore(t, store, state.Fabric{Name: "dc1"})
	s := New(Options{Listen: "127.0.0.1:0", State: store, ShutdownTimeout: time.Minute})
	run := start(t, s)
	idx := strconv.FormatUint(store.Index(state.TableFabrics), 10)
	e := &apiEnv{url: run.url}
	ch := e.background(t, "/api/v1/fabrics/dc1?wait="+idx+"&timeout=5m")
	stillBlocked(t, ch, 300*time.Millisecond, "before the shutdown")
	run.cancel()
	r := answered(t, ch, "at the shutdown")
	var f FabricView
	mustDecode(t, r.body, &f)
	if f.Name != "dc1" {
		t.Errorf("answer at shutdown: %s", r.body)
	}
	if err := run.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func upsert(t *testing.T, e *apiEnv, f state.Fabric) { t.Helper(); upsertStore(t, e.store, f) }

func upsertStore(t *testing.T, s *state.Store, f state.Fabric) {
	t.Helper()
	if err := s.UpsertFabric(f); err != nil {
		t.Fatal(err)
	}
}

func addEvent(t *testing.T, e *apiEnv) {
	t.Helper()
	if _, err := e.store.AddEvent(state.Event{Type: state.EventDriftDetected, Fabric: "dc2"}); err != nil {
		t.Fatal(err)
	}
}

func mustDecode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("index %q: %v", s, err)
	}
	return n
}
