package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// events serves GET /api/v1/events: the store's events as server-sent
// events ("id: INDEX", "event: TYPE", "data: JSON"), from the one after
// Last-Event-ID or ?after= (both absent: only events to come), a comment
// every heartbeat while nothing happens, until the client goes or the
// server shuts down. When the store's ring dropped events the client had
// not seen, an "events_lost" event (without an id) says how many; when the
// client's id is newer than any event (the daemon restarted, and its ids
// started again), an "events_reset" event precedes the whole ring.
func (a *api) events(w http.ResponseWriter, r *http.Request, _ caller) {
	after, given, err := resumePoint(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(),
			"pass the id of the last event received (Last-Event-ID or ?after=), or nothing to get only new events")
		return
	}
	if !a.s.streams.take() {
		a.s.shedRequest(w, shedStreams, streamRetryAfter, "too many event streams and long polls are open (api.max_event_streams)")
		return
	}
	defer a.s.streams.give()
	after, reset, err := a.startPoint(after, given)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the events failed: "+err.Error(), "see the daemon's log; retry")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)

	s := sseWriter{w: w, rc: http.NewResponseController(w), timeout: a.s.writeTimeout}
	if !s.write(": fgd events\n\n" + reset) {
		return
	}
	a.streamEvents(r.Context(), s, after)
}

// startPoint returns the index after which the stream starts, given the
// client's resume point, and the events_reset event to send first (empty
// when none is due).
func (a *api) startPoint(after uint64, given bool) (uint64, string, error) {
	latest, err := a.latestEvent()
	if err != nil {
		return 0, "", err
	}
	switch {
	case !given:
		return latest, "", nil
	case after > latest:
		// An id from before the daemon restarted (event ids live in
		// memory and start again at 1): send the whole ring, after
		// saying so, rather than wait for ids that came and went.
		return 0, fmt.Sprintf("event: events_reset\ndata: {\"last_event_id\":%d,\"latest\":%d}\n\n", after, latest), nil
	}
	return after, "", nil
}

// sseWriter writes the chunks of one event stream.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// write sends one chunk and flushes it, within the write timeout: a client
// that stops reading is dropped, not waited for. false ends the stream.
func (s sseWriter) write(chunk string) bool {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := fmt.Fprint(s.w, chunk); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// streamEvents sends the events after index after, batch by batch, and
// then every new one as it comes, until the client goes or the server
// shuts down.
func (a *api) streamEvents(ctx context.Context, s sseWriter, after uint64) {
	shutdown := a.shuttingDown()
	for {
		ws := newWatchSet()
		ws.Add(shutdown)
		evs, err := a.store.Events(ws, after, eventBatch)
		if err != nil {
			a.logger.Error("event stream: reading the events failed; closing the stream", "err", err)
			return
		}
		var chunk string
		chunk, after = a.eventChunk(evs, after)
		if chunk != "" && !s.write(chunk) {
			return
		}
		if len(evs) == eventBatch {
			continue // more are waiting
		}
		if closed(shutdown) || !a.awaitEvents(ctx, ws, s) {
			return
		}
	}
}

// eventChunk renders evs, read after index after, as server-sent events,
// preceded by an events_lost event when the store dropped some the client
// had not seen; it returns the text and the index of the last event.
func (a *api) eventChunk(evs []*state.Event, after uint64) (string, uint64) {
	var b strings.Builder
	if len(evs) > 0 && after > 0 && evs[0].Index > after+1 {
		fmt.Fprintf(&b, "event: events_lost\ndata: {\"after\":%d,\"next\":%d,\"lost\":%d}\n\n", after, evs[0].Index, evs[0].Index-after-1)
	}
	for _, e := range evs {
		data, err := json.Marshal(eventView(e))
		if err != nil {
			a.logger.Error("event stream: an event cannot be encoded; skipped", "index", e.Index, "type", e.Type, "err", err)
			after = e.Index
			continue
		}
		fmt.Fprintf(&b, "id: %d\nevent: %s\ndata: %s\n\n", e.Index, oneLine(e.Type), data)
		after = e.Index
	}
	return b.String(), after
}

// awaitEvents waits until ws fires, sending a heartbeat comment when none
// has come within the heartbeat interval; false means the stream is over
// (the client went away, or the heartbeat could not be sent).
func (a *api) awaitEvents(ctx context.Context, ws watchSet, s sseWriter) bool {
	wctx, cancel := context.WithTimeout(ctx, a.heartbeat)
	err := ws.WatchCtx(wctx)
	cancel()
	switch {
	case ctx.Err() != nil:
		return false // the client went away
	case errors.Is(err, context.DeadlineExceeded):
		return s.write(": heartbeat\n\n")
	}
	return true
}

// resumePoint returns the index after which the stream starts: the
// Last-Event-ID header (a reconnecting EventSource sends it) or ?after=.
func resumePoint(r *http.Request) (after uint64, given bool, err error) {
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		name, v = "?after", r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s %q is not an event id", name, clip(v))
	}
	return n, true, nil
}

// latestEvent returns the Index of the newest event in the store (0 when
// there is none).
func (a *api) latestEvent() (uint64, error) {
	evs, err := a.store.Events(nil, 0, 0)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	return evs[len(evs)-1].Index, nil
}

// oneLine keeps a field of a server-sent event on its line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
