package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// watchSet is the store's watch set: a read adds the channels that close
// when what it read changes; WatchCtx blocks until one does.
type watchSet = state.WatchSet

// newWatchSet returns an empty watch set.
func newWatchSet() watchSet { return state.NewWatchSet() }

// indexHeader carries the store index of an answer.
const indexHeader = "X-FGD-Index"

// answer is what a read produced: a status, a body and its index (sent as
// X-FGD-Index), and whether it is what a waiting client waits for.
type answer struct {
	status int
	body   any
	index  uint64
	// ready is set when a waiting client should get this answer now:
	// for most reads, when index is past the client's ?wait= index, and
	// at once for an error.
	ready bool
}

// pollParams are a request's long-poll parameters.
type pollParams struct {
	// block is set when the client asked to wait.
	block bool
	// index is the index the client holds; hasIndex says it gave one.
	index    uint64
	hasIndex bool
	timeout  time.Duration
}

// parsePoll reads the index parameter indexName (?wait=INDEX on the fabric
// endpoints) and &timeout=DURATION (at most maxPollTimeout; more is
// capped); an index given means the client waits. It answers 400 itself
// and returns false on a bad value.
func parsePoll(w http.ResponseWriter, r *http.Request, indexName string) (pollParams, bool) {
	q := r.URL.Query()
	p := pollParams{timeout: defaultPollTimeout}
	if v := q.Get(indexName); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("?%s=%s is not an index", indexName, clip(v)),
				fmt.Sprintf("pass the index of the previous answer (the %s header or the body's index), a whole number", indexHeader))
			return p, false
		}
		p.block, p.index, p.hasIndex = true, n, true
	}
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("&timeout=%s is not a positive duration", clip(v)),
				"pass a Go duration such as 30s or 5m (at most 5m)")
			return p, false
		}
		p.timeout = min(d, maxPollTimeout)
	}
	return p, true
}

// poll answers a read, blocking first when the client asked to wait: read
// runs with a fresh watch set until its answer is ready, the timeout
// passes, or the server shuts down; the latest
// answer is then sent. A client that goes away gets nothing.
func (a *api) poll(w http.ResponseWriter, r *http.Request, p pollParams, read func(ws watchSet) (answer, error)) {
	ctx := r.Context()
	if p.block {
		if !a.s.streams.take() {
			a.s.shedRequest(w, shedStreams, streamRetryAfter, "too many event streams and long polls are open (api.max_event_streams)")
			return
		}
		defer a.s.streams.give()
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	shutdown := a.shuttingDown()
	final := !p.block
	for {
		ws := newWatchSet()
		ws.Add(shutdown)
		ans, err := read(ws)
		if err != nil {
			a.logger.Error("API read failed", "path", clip(r.URL.Path), "err", err)
			writeError(w, http.StatusInternalServerError, "reading the state failed: "+err.Error(), "see the daemon's log; retry")
			return
		}
		if final || ans.ready {
			a.send(w, ans)
			return
		}
		if err := ws.WatchCtx(ctx); err != nil {
			if r.Context().Err() != nil {
				return // the client went away
			}
			a.send(w, ans) // the timeout: answer with what there is
			return
		}
		// Something changed: read again. After a shutdown the channel
		// stays closed, so read once more and answer.
		final = closed(shutdown)
	}
}

// send writes an answer with its index header. The write deadline is set
// again: a long poll may have used up the one set when the request came.
func (a *api) send(w http.ResponseWriter, ans answer) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(a.s.writeTimeout))
	w.Header().Set(indexHeader, strconv.FormatUint(ans.index, 10))
	writeJSON(w, ans.status, ans.body)
}

// closed reports whether ch is closed, without blocking.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
