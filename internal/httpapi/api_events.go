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
	latest, err := a.latestEvent()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the events failed: "+err.Error(), "see the daemon's log; retry")
		return
	}
	reset := ""
	switch {
	case !given:
		after = latest
	case after > latest:
		// An id from before the daemon restarted (event ids live in
		// memory and start again at 1): send the whole ring, after
		// saying so, rather than wait for ids that came and went.
		reset = fmt.Sprintf("event: events_reset\ndata: {\"last_event_id\":%d,\"latest\":%d}\n\n", after, latest)
		after = 0
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)

	ctx := r.Context()
	shutdown := a.shuttingDown()
	// write sends one chunk and flushes it, within the write timeout: a
	// client that stops reading is dropped, not waited for.
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(a.s.writeTimeout))
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(": fgd events\n\n" + reset) {
		return
	}
	for {
		ws := newWatchSet()
		ws.Add(shutdown)
		evs, err := a.store.Events(ws, after, eventBatch)
		if err != nil {
			a.logger.Error("event stream: reading the events failed; closing the stream", "err", err)
			return
		}
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
		if b.Len() > 0 && !write(b.String()) {
			return
		}
		if len(evs) == eventBatch {
			continue // more are waiting
		}
		if closed(shutdown) {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, a.heartbeat)
		err = ws.WatchCtx(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return // the client went away
		case errors.Is(err, context.DeadlineExceeded):
			if !write(": heartbeat\n\n") {
				return
			}
		}
	}
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
