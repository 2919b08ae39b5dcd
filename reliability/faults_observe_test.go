package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// faultUsage is what the daemon holds at one moment: go_goroutines and
// process_open_fds from its /metrics, how many of those fds are pack files
// of its clones (from /proc), and VmRSS.
type faultUsage struct {
	Goroutines, FDs, PackFDs float64
	RSS                      int64
	// FreeHeap is heap memory the Go runtime holds free for reuse and has
	// not given back to the OS yet (go_memstats_heap_idle_bytes −
	// go_memstats_heap_released_bytes): part of the RSS, but no one's.
	FreeHeap int64
	// LiveHeap is the heap the last garbage collection found live
	// (go_gc_heap_live_bytes): what the daemon retains, without the
	// garbage that the in-use figure holds until the next collection.
	LiveHeap int64
}

// InUse is the RSS without the free heap.
func (u faultUsage) InUse() int64 { return u.RSS - u.FreeHeap }

func (u faultUsage) String() string {
	return fmt.Sprintf("%.0f goroutines, %.0f fds (%.0f of them pack files), RSS %.1f MiB of which %.1f MiB in use, live heap %.1f MiB",
		u.Goroutines, u.FDs, u.PackFDs, float64(u.RSS)/(1<<20), float64(u.InUse())/(1<<20), float64(u.LiveHeap)/(1<<20))
}

// faultMeasure samples the daemon's usage n times, one second apart, and
// returns the median of each figure: one sample may catch a poll in flight.
func faultMeasure(t *testing.T, d *daemontest.Daemon, n int) faultUsage {
	t.Helper()
	var gs, fds, packs, rss, free, live []float64
	for i := range n {
		if i > 0 {
			faultSleep(time.Second)
		}
		m := d.Metrics()
		u, err := daemontest.ProcUsage(d.PID())
		kinds := faultFDKinds(d.PID())
		if m == nil || err != nil {
			t.Fatalf("measure the daemon: metrics %v, /proc: %v", m != nil, err)
		}
		s := faultUsage{m["go_goroutines"], m["process_open_fds"], float64(kinds["pack"]), u.RSSBytes,
			int64(m["go_memstats_heap_idle_bytes"] - m["go_memstats_heap_released_bytes"]), int64(m["go_gc_heap_live_bytes"])}
		gs, fds, packs = append(gs, s.Goroutines), append(fds, s.FDs), append(packs, s.PackFDs)
		rss, free, live = append(rss, float64(s.RSS)), append(free, float64(s.FreeHeap)), append(live, float64(s.LiveHeap))
		t.Logf("sample %d: %s; fds by kind %v", i+1, s, kinds)
	}
	return faultUsage{faultMedian(gs), faultMedian(fds), faultMedian(packs), int64(faultMedian(rss)), int64(faultMedian(free)), int64(faultMedian(live))}
}

// faultFDKinds counts a process's open files by what they are: sockets,
// pipes, pack files of git clones, other files.
func faultFDKinds(pid int) map[string]int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(dir)
	out := map[string]int{}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		switch {
		case err != nil:
		case strings.HasPrefix(link, "socket:"):
			out["socket"]++
		case strings.HasPrefix(link, "pipe:"):
			out["pipe"]++
		case strings.Contains(link, "/objects/pack/"):
			out["pack"]++
		default:
			out["other"]++
		}
	}
	return out
}

// faultMedian is the middle value of v (the upper one of an even count).
func faultMedian(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// faultSleep waits d; the test goroutine only, never in a loop of its own.
func faultSleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	<-t.C
}

// faultLabel returns the value of label in a series name as ParseMetrics
// keys it (`name{a="x",b="y"}`).
func faultLabel(series, label string) string {
	_, rest, ok := strings.Cut(series, label+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// faultSyncs sums fgd_syncs_total over the fabrics, by result.
func faultSyncs(m map[string]float64) (success, failure float64) {
	for s, v := range m {
		if strings.HasPrefix(s, "fgd_syncs_total{") {
			if faultLabel(s, "result") == "success" {
				success += v
			} else {
				failure += v
			}
		}
	}
	return success, failure
}

// faultCircuits returns fgd_circuit_state of each fabric's git remote.
func faultCircuits(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for s, v := range m {
		if strings.HasPrefix(s, "fgd_circuit_state{") && strings.HasPrefix(faultLabel(s, "target"), "git:") {
			out[faultLabel(s, "fabric")] = v
		}
	}
	return out
}

// faultScraper follows fgd_circuit_state on /metrics (directly, not through
// a proxy) and keeps every change of each fabric's value.
type faultScraper struct {
	done chan struct{}

	mu      sync.Mutex
	last    map[string]float64
	changes map[string][]string // fabric → "15:04:05.0 closed→open", in order
	opened  map[string]bool
}

// faultScrape scrapes d every period until ctx ends; done is closed then.
func faultScrape(ctx context.Context, d *daemontest.Daemon, every time.Duration) *faultScraper {
	s := &faultScraper{last: map[string]float64{}, changes: map[string][]string{}, opened: map[string]bool{}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if m := d.Metrics(); m != nil {
				s.note(time.Now(), faultCircuits(m))
			}
		}
	}()
	return s
}

var faultStateNames = map[float64]string{0: "closed", 1: "half-open", 2: "open"}

// note records the states of one scrape.
func (s *faultScraper) note(at time.Time, states map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for fabric, v := range states {
		if old := s.last[fabric]; v != old { // a fabric starts closed
			s.changes[fabric] = append(s.changes[fabric], at.Format("15:04:05.0")+" "+faultStateNames[old]+"→"+faultStateNames[v])
		}
		s.opened[fabric] = s.opened[fabric] || v == 2
		s.last[fabric] = v
	}
}

// faultSyncFailure is one sync_failed event of the daemon.
type faultSyncFailure struct {
	Fabric, Class, Error string
}

// faultEvents follows the daemon's event stream from its first event and
// keeps the failed syncs; it reconnects where it left off if the stream ends.
type faultEvents struct {
	done chan struct{}

	mu        sync.Mutex
	failures  []faultSyncFailure
	completed int
	lost      int
}

// faultFollowEvents reads the event stream of the daemon at base until ctx
// ends; done is closed then.
func faultFollowEvents(ctx context.Context, base string) *faultEvents {
	e := &faultEvents{done: make(chan struct{})}
	go func() {
		defer close(e.done)
		var after uint64
		for ctx.Err() == nil {
			after = e.read(ctx, base, after)
			retry := time.NewTimer(200 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-retry.C:
			}
			retry.Stop()
		}
	}()
	return e
}

// read consumes one connection of the stream and returns the last id seen.
func (e *faultEvents) read(ctx context.Context, base string, after uint64) uint64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/events?after=%d", base, after), nil)
	if err != nil {
		return after
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return after
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var typ string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			if n, err := strconv.ParseUint(line[4:], 10, 64); err == nil {
				after = n
			}
		case strings.HasPrefix(line, "event: "):
			typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.note(typ, line[6:])
		}
	}
	return after
}

// note records one event of the stream.
func (e *faultEvents) note(typ, data string) {
	var ev struct {
		Fabric string
		Data   struct{ Class, Error string }
	}
	_ = json.Unmarshal([]byte(data), &ev)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch typ {
	case "sync_completed":
		e.completed++
	case "sync_failed":
		e.failures = append(e.failures, faultSyncFailure{ev.Fabric, ev.Data.Class, ev.Data.Error})
	case "events_lost":
		var lost struct{ Lost int }
		_ = json.Unmarshal([]byte(data), &lost)
		e.lost += lost.Lost
	}
}

// failed returns how many failed syncs the stream has shown so far.
func (e *faultEvents) failed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.failures)
}

// failedSince returns the failed syncs after the first n.
func (e *faultEvents) failedSince(n int) []faultSyncFailure {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]faultSyncFailure(nil), e.failures[min(n, len(e.failures)):]...)
}

// check fails the test for each sync that failed other than transient or
// waiting: network faults never need a human (stalled), and every failure
// has a class. It logs the counts.
func (e *faultEvents) check(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	classes := map[string]int{}
	for _, f := range e.failures {
		classes[f.Class]++
		if f.Class != "transient" && f.Class != "waiting" {
			t.Errorf("%s: a sync failed as %q under network faults: %s", f.Fabric, f.Class, f.Error)
		}
	}
	t.Logf("events: %d syncs completed, failed by class %v, %d events lost", e.completed, classes, e.lost)
}

// faultLogTransitions reads the circuit changes of git remotes from the
// daemon's JSON log ("circuit open" with target and from), in log order,
// keyed by target.
func faultLogTransitions(logText string) (map[string][]faultTransition, error) {
	out := map[string][]faultTransition{}
	for _, line := range strings.Split(logText, "\n") {
		if !strings.Contains(line, `"msg":"circuit `) {
			continue
		}
		var rec struct {
			Time   time.Time `json:"time"`
			Msg    string    `json:"msg"`
			Target string    `json:"target"`
			From   string    `json:"from"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, fmt.Errorf("log line %q: %w", line, err)
		}
		if !strings.HasPrefix(rec.Target, "git:") {
			continue
		}
		out[rec.Target] = append(out[rec.Target], faultTransition{At: rec.Time, From: rec.From, To: strings.TrimPrefix(rec.Msg, "circuit ")})
	}
	return out, nil
}

// faultPanics returns the log lines that tell of a panic: Go's own trace,
// or a sync that recovered one ("internal error (please report)").
func faultPanics(logText string) []string {
	var out []string
	for _, line := range strings.Split(logText, "\n") {
		if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") || strings.Contains(line, "internal error (please report)") {
			out = append(out, line)
		}
	}
	return out
}
