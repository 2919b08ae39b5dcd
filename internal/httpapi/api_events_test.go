package httpapi

import (
	"bufio"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// sse is one server-sent event, or a comment (comment set, the rest empty).
type sse struct {
	id, event, data, comment string
}

// stream is a connected event stream whose events arrive on a channel.
type stream struct {
	resp   *http.Response
	events chan sse
	cancel func()
}

// connect opens GET path (with a Last-Event-ID when lastID is not "") and
// parses what arrives in the background.
func connect(t *testing.T, url, path, lastID, token string) *stream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{resp: resp, events: make(chan sse, 1024)}
	s.cancel = func() { resp.Body.Close() }
	t.Cleanup(s.cancel)
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var cur sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur != (sse{}) {
					s.events <- cur
				}
				cur = sse{}
			case strings.HasPrefix(line, ":"):
				cur.comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "id":
					cur.id = v
				case "event":
					cur.event = v
				case "data":
					cur.data = v
				}
			}
		}
	}()
	return s
}

// next returns the next event (comments included), failing the test when
// none comes within the generous bound or the stream ends.
func (s *stream) next(t *testing.T) sse {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
		return sse{}
	}
}

// nextEvent skips comments (heartbeats) and returns the next event.
func (s *stream) nextEvent(t *testing.T) sse {
	t.Helper()
	for {
		if e := s.next(t); e.comment == "" {
			return e
		}
	}
}

// add writes n events of fabric to the store and returns their indexes.
func add(t *testing.T, store *state.Store, fabric string, n int) []string {
	t.Helper()
	var ids []string
	types := []string{state.EventSyncCompleted, state.EventDriftDetected, state.EventCircuitOpened}
	for i := range n {
		ev, err := store.AddEvent(state.Event{Fabric: fabric, Type: types[i%len(types)], Data: map[string]any{"n": i, "token": opToken}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatUint(ev.Index, 10))
	}
	return ids
}

func TestEventsStreamAndResume(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	add(t, e.store, "old", 2) // before anyone connects: not sent without a resume point

	s := connect(t, e.url, "/api/v1/events", "", "")
	if first := s.next(t); first.comment != "fgd events" {
		t.Fatalf("first = %+v, want the opening comment", first)
	}
	ids := add(t, e.store, "dc1", 3)
	var got []sse
	for range 3 {
		got = append(got, s.nextEvent(t))
	}
	for i, ev := range got {
		var v EventView
		mustDecode(t, ev.data, &v)
		if ev.id != ids[i] || v.Index != mustUint(t, ids[i]) || v.Fabric != "dc1" || ev.event != v.Type || v.Data["n"] != float64(i) {
			t.Errorf("event %d = %+v (%+v), want id %s of dc1", i, ev, v, ids[i])
		}
		if strings.Contains(ev.data, opToken) || v.Data["token"] != "[REDACTED]" {
			t.Errorf("event data holds a secret: %s", ev.data)
		}
	}
	if got[0].event != state.EventSyncCompleted || got[1].event != state.EventDriftDetected {
		t.Errorf("event types %q %q", got[0].event, got[1].event)
	}

	// The client goes after the second; more events come; it resumes with
	// Last-Event-ID and gets the rest, once each, in order.
	s.cancel()
	more := add(t, e.store, "dc1", 2)
	s2 := connect(t, e.url, "/api/v1/events", got[1].id, "")
	var resumed []string
	for range 3 {
		resumed = append(resumed, s2.nextEvent(t).id)
	}
	if want := []string{ids[2], more[0], more[1]}; !slices.Equal(resumed, want) {
		t.Errorf("resumed ids %v, want %v", resumed, want)
	}
	later := add(t, e.store, "lab", 1)
	if ev := s2.nextEvent(t); ev.id != later[0] {
		t.Errorf("after the resume, live event %+v, want id %s", ev, later[0])
	}

	// ?after=0 replays the whole ring; Last-Event-ID wins over ?after.
	s3 := connect(t, e.url, "/api/v1/events?after=0", "", "")
	var all []string
	for range 8 {
		all = append(all, s3.nextEvent(t).id)
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7", "8"}; !slices.Equal(all, want) {
		t.Errorf("?after=0 ids %v, want %v", all, want)
	}
	s4 := connect(t, e.url, "/api/v1/events?after=0", "7", "")
	if ev := s4.nextEvent(t); ev.id != "8" {
		t.Errorf("Last-Event-ID 7 with ?after=0: first %+v, want id 8", ev)
	}
}

func TestEventsHeartbeat(t *testing.T) {
	e := newAPIEnv(t, envConfig{heartbeat: 50 * time.Millisecond})
	s := connect(t, e.url, "/api/v1/events", "", "")
	s.next(t) // the opening comment
	for range 2 {
		if ev := s.next(t); ev.comment != "heartbeat" {
			t.Errorf("idle stream sent %+v, want a heartbeat comment", ev)
		}
	}
	ids := add(t, e.store, "dc1", 1)
	if ev := s.nextEvent(t); ev.id != ids[0] {
		t.Errorf("after heartbeats: %+v", ev)
	}
}

func TestEventsLostAndBatches(t *testing.T) {
	e := newAPIEnv(t, envConfig{limits: state.Limits{MaxEvents: 700}})
	add(t, e.store, "dc1", 1000) // the ring keeps 301..1000

	// A client that saw event 100 lost 101..300 to the ring: it is told,
	// then gets 301..1000, across several reads of the store.
	s := connect(t, e.url, "/api/v1/events", "100", "")
	lost := s.nextEvent(t)
	if lost.event != "events_lost" || lost.id != "" || lost.data != `{"after":100,"next":301,"lost":200}` {
		t.Errorf("first = %+v, want events_lost without an id", lost)
	}
	for want := 301; want <= 1000; want++ {
		if ev := s.nextEvent(t); ev.id != strconv.Itoa(want) {
			t.Fatalf("got %+v, want id %d", ev, want)
		}
	}
	// An id newer than any event (the daemon restarted since): the stream
	// says so and starts again from the oldest event it holds.
	s3 := connect(t, e.url, "/api/v1/events", "5000", "")
	if ev := s3.nextEvent(t); ev.event != "events_reset" || ev.data != `{"last_event_id":5000,"latest":1000}` {
		t.Errorf("first = %+v, want events_reset", ev)
	}
	if ev := s3.nextEvent(t); ev.id != "301" {
		t.Errorf("after the reset: %+v, want id 301", ev)
	}
	// A client already up to date loses nothing.
	s2 := connect(t, e.url, "/api/v1/events", "1000", "")
	ids := add(t, e.store, "dc1", 1)
	if ev := s2.nextEvent(t); ev.id != ids[0] || ev.event == "events_lost" {
		t.Errorf("got %+v, want id %s", ev, ids[0])
	}
}

// TestEventsEndAtShutdown: a real Server's shutdown ends its streams at
// once, so Run returns well within the (long) shutdown timeout.
func TestEventsEndAtShutdown(t *testing.T) {
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Listen: "127.0.0.1:0", State: store, ShutdownTimeout: 10 * time.Minute})
	run := start(t, s)
	st := connect(t, run.url, "/api/v1/events", "", "")
	st.next(t)
	ids := add(t, store, "dc1", 1)
	if ev := st.nextEvent(t); ev.id != ids[0] {
		t.Fatalf("got %+v", ev)
	}
	run.cancel()
	if err := run.wait(t); err != nil {
		t.Errorf("Run = %v", err)
	}
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-st.events:
			if !ok {
				return // the stream ended
			}
		case <-deadline:
			t.Fatal("the stream did not end at the shutdown")
		}
	}
}

// TestEventsWithReadToken: when reads need a token, so does the stream.
func TestEventsWithReadToken(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true, readToken: true})
	s := connect(t, e.url, "/api/v1/events", "", rdToken)
	s.next(t)
	ids := add(t, e.store, "dc1", 1)
	if ev := s.nextEvent(t); ev.id != ids[0] {
		t.Errorf("got %+v", ev)
	}
	status, h, body := e.call(t, "GET", "/api/v1/events", "")
	if status != 401 || h.Get("WWW-Authenticate") == "" {
		t.Errorf("stream without a token = %d %s", status, body)
	}
}
