package audit

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"
)

// Limits of the rejected-request aggregation.
const (
	// RejectedFileName is the log of rejected requests in the state
	// directory, apart from the operators' records in FileName.
	RejectedFileName = "audit-rejected.log"
	// RejectedWindow is the period one aggregate record covers.
	RejectedWindow = time.Minute
	// maxRejectedKeys bounds the callers counted apart in one window;
	// the others are counted together under remote "other", so varying
	// the source address buys an attacker no more lines.
	maxRejectedKeys = 100
	// maxReasons bounds the distinct reasons counted per caller.
	maxReasons = 32
	// otherRemote is the remote of the callers past maxRejectedKeys.
	otherRemote = "other"
)

// Rejections aggregates rejected requests into one record per caller (the
// source address without its port, and the actor) and minute, with their
// count and reasons, written to its own log when the minute has passed or
// when Run ends. However many requests a caller gets refused, it costs at most
// one line a minute, and none of it reaches the operators' log.
type Rejections struct {
	log *Log
	now func() time.Time

	mu     sync.Mutex
	window time.Time // start of the window being counted; zero when empty
	aggs   map[rejKey]*rejAgg
	onErr  func(error)
}

type rejKey struct{ remote, actor string }

type rejAgg struct {
	count       int
	first, last time.Time
	detail      string // the first request's
	reasons     map[string]int
}

// NewRejections aggregates into log; now is the clock (time.Now when nil);
// onErr receives write failures (nil ignores them).
func NewRejections(log *Log, now func() time.Time, onErr func(error)) *Rejections {
	if now == nil {
		now = time.Now
	}
	if onErr == nil {
		onErr = func(error) {}
	}
	return &Rejections{log: log, now: now, aggs: map[rejKey]*rejAgg{}, onErr: onErr}
}

// Note counts one rejected request: e.Remote is its caller's address
// (host:port), e.Actor who it claimed to be, e.Detail what was asked and
// why it was refused, reason a short fixed text ("401 no bearer token").
// It reports whether this is the caller's first rejection of the window,
// so that callers can log one line per caller and minute, not one per
// request.
func (r *Rejections) Note(e Entry, reason string) (first bool) {
	now := r.now()
	host := callerOf(e.Remote)
	r.mu.Lock()
	var due []Entry
	if start := now.Truncate(RejectedWindow); !r.window.Equal(start) {
		due = r.takeLocked()
		r.window = start
	}
	k := rejKey{remote: host, actor: e.Actor}
	a := r.aggs[k]
	if a == nil && len(r.aggs) >= maxRejectedKeys {
		k.remote = otherRemote
		a = r.aggs[k]
	}
	if a == nil {
		a = &rejAgg{first: now, detail: e.Detail, reasons: map[string]int{}}
		r.aggs[k] = a
		first = true
	}
	a.count++
	a.last = now
	if _, ok := a.reasons[reason]; ok || len(a.reasons) < maxReasons {
		a.reasons[reason]++
	} else {
		a.reasons["other"]++
	}
	r.mu.Unlock()
	r.write(due)
	return first
}

// Flush writes the records of the window being counted.
func (r *Rejections) Flush() {
	r.mu.Lock()
	due := r.takeLocked()
	r.mu.Unlock()
	r.write(due)
}

// Run writes each window's records once it has passed, and the last ones
// when ctx is done.
func (r *Rejections) Run(ctx context.Context) error {
	for {
		next := r.now().Truncate(RejectedWindow).Add(RejectedWindow)
		t := time.NewTimer(time.Until(next) + time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			r.Flush()
			return r.log.Close()
		case <-t.C:
			r.mu.Lock()
			var due []Entry
			if !r.window.IsZero() && r.now().Sub(r.window) >= RejectedWindow {
				due = r.takeLocked()
			}
			r.mu.Unlock()
			r.write(due)
		}
	}
}

// takeLocked turns the window's aggregates into entries, in a stable
// order, and empties it. r.mu is held.
func (r *Rejections) takeLocked() []Entry {
	if len(r.aggs) == 0 {
		return nil
	}
	out := make([]Entry, 0, len(r.aggs))
	for k, a := range r.aggs {
		// A list, not a map keyed by reason: a reason such as "no bearer
		// token" would read as a secret's key to Redact.
		whys := make([]string, 0, len(a.reasons))
		for why := range a.reasons {
			whys = append(whys, why)
		}
		sort.Strings(whys)
		reasons := make([]any, len(whys))
		for i, why := range whys {
			reasons[i] = map[string]any{"reason": why, "count": a.reasons[why]}
		}
		out = append(out, Entry{
			Time: a.last, Actor: k.actor, Remote: k.remote, Action: ActionRejected, Outcome: OutcomeRejected,
			Changes: map[string]any{"count": a.count, "first": a.first.UTC().Format(time.RFC3339Nano), "reasons": reasons},
			Detail:  fmt.Sprintf("%d rejected in the minute from %s; the first: %s", a.count, r.window.UTC().Format("15:04"), a.detail),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Remote != out[j].Remote {
			return out[i].Remote < out[j].Remote
		}
		return out[i].Actor < out[j].Actor
	})
	r.aggs = map[rejKey]*rejAgg{}
	return out
}

// callerOf is the caller a remote address counts as: its host without
// the port, and for IPv6 its /64 network, which one host can fill with
// addresses of its own.
func callerOf(remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil || ip.IsLoopback() {
		return host
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

func (r *Rejections) write(es []Entry) {
	for _, e := range es {
		if err := r.log.Record(e); err != nil {
			r.onErr(err)
		}
	}
}
