package httpapi

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/humanize"
	"github.com/fgdproject/fgd/internal/state"
)

// The data the status page's templates render. Everything is computed
// here, so the templates only place values; html/template escapes them.

// indexPage is GET /.
type indexPage struct {
	Title     string
	Notices   []Notice
	Fabrics   []fabricRow
	Generated time.Time
}

// fabricPage is GET /fabrics/{name}.
type fabricPage struct {
	Title   string
	Notices []Notice
	Fabric  fabricRow
	// Syncs are the recent syncs, newest first; Last is the newest.
	Syncs []syncRow
	Last  *syncRow
	// Resources are the desired resources by kind, for the browser.
	Resources []kindGroup
	// Wiring is the picture of the switches, servers and connections; nil
	// when the fabric has none.
	Wiring    *wiring
	Generated time.Time
}

// notFoundPage is the 404 page of an unknown fabric.
type notFoundPage struct {
	Title string
	Name  string
	// Resource is true for an unknown resource of a known fabric.
	Resource  bool
	Generated time.Time
}

// fabricRow is one fabric in the table.
type fabricRow struct {
	FabricView
	// URL is the fabric's page.
	URL string
	// Class is the CSS class of State.
	Class string
	// ShortRevision is the revision cut to 12 characters.
	ShortRevision string
	// LastSync is when the latest sync finished (or started, while it
	// runs); zero before the first. LastSyncState is its state.
	LastSync      time.Time
	LastSyncState state.SyncState
	// Age says how long ago LastSync was, e.g. "3m ago".
	Age string
	// Kinds are the resources per kind, sorted by kind; Total adds them.
	Kinds []kindCount
	Total int
	// CircuitList is the fabric's circuit breakers, sorted by target.
	CircuitList []circuitRow
}

// circuitRow is one circuit breaker of a fabric.
type circuitRow struct {
	Target string
	State  string
	// Class is the CSS class of State.
	Class string
}

// kindCount is one kind's count of desired resources.
type kindCount struct {
	Kind  string
	Count int
}

// syncRow is one sync on a fabric's page.
type syncRow struct {
	SyncView
	// Age says how long ago the sync started.
	Age string
	// Class is the CSS class of State.
	Class string
	// Duration is the sync's duration, formatted.
	Duration string
	// Stages are the states the sync went through with their durations.
	Stages []stageRow
	// ChangeRows are Changes with their diff lines classed for the page.
	ChangeRows []changeRow
	// Timeline draws Stages as bars, to the scale of the page's longest
	// sync; nil when no stage has a duration yet.
	Timeline []timelineBar
}

// timelineBar is one stage in a sync's timeline, in SVG units.
type timelineBar struct {
	State    state.SyncState
	Duration string
	X, W     int
}

// timelineWidth is the width of a sync's timeline.
const timelineWidth = 240

// stageRow is one state of a sync and the time spent in it.
type stageRow struct {
	State   state.SyncState
	seconds float64
	// Duration is formatted; "running" for the state the sync is in.
	Duration string
}

// newFabricRow builds a fabric's row from its API view and its latest sync
// (nil before the first).
func newFabricRow(v FabricView, last *state.Sync, now time.Time) fabricRow {
	row := fabricRow{FabricView: v, URL: "/fabrics/" + url.PathEscape(v.Name), Class: stateClass(string(v.State)), ShortRevision: shortRevision(v.Revision)}
	for _, k := range slices.Sorted(maps.Keys(v.Resources)) {
		row.Kinds = append(row.Kinds, kindCount{Kind: k, Count: v.Resources[k]})
		row.Total += v.Resources[k]
	}
	for _, t := range slices.Sorted(maps.Keys(v.Circuits)) {
		row.CircuitList = append(row.CircuitList, circuitRow{Target: t, State: v.Circuits[t], Class: circuitClass(v.Circuits[t])})
	}
	switch {
	case last != nil && !last.Finished.IsZero():
		row.LastSync, row.LastSyncState = last.Finished, last.State
	case last != nil:
		row.LastSync, row.LastSyncState = last.Started, last.State
	case v.LastSuccess != nil:
		row.LastSync, row.LastSyncState = *v.LastSuccess, state.SyncCompleted
	}
	if !row.LastSync.IsZero() {
		row.Age = humanize.Ago(now.Sub(row.LastSync))
		row.LastSync = row.LastSync.UTC()
	}
	return row
}

// newSyncRow builds a sync's row from its API view, whose transitions
// carry each state's duration.
func newSyncRow(v SyncView, now time.Time) syncRow {
	row := syncRow{SyncView: v, Class: stateClass(string(v.State)), Age: humanize.Ago(now.Sub(v.Started)), Duration: seconds(v.Seconds),
		ChangeRows: changeRows(v.Changes)}
	row.Started = v.Started.UTC()
	for _, t := range v.Transitions {
		st := stageRow{State: t.State, Duration: "running"}
		switch {
		case t.Seconds != nil:
			st.Duration, st.seconds = seconds(*t.Seconds), *t.Seconds
		case v.Done:
			st.Duration = "" // the final state has no duration
		}
		row.Stages = append(row.Stages, st)
	}
	return row
}

// shortRevision cuts a revision (a git hash, or a directory's content
// hash) to 12 characters.
func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// seconds formats a duration given in seconds: "850ms", "2.4s", "3m05s".
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// circuitClass is the CSS class of a circuit breaker's state.
func circuitClass(s string) string {
	switch s {
	case "closed":
		return "good"
	case "open":
		return "bad"
	default:
		return "busy"
	}
}

// stateClass is the CSS class of a fabric or sync state (a fabric and a
// sync share the word "failed", hence no switch on constants).
func stateClass(s string) string {
	s = strings.ToLower(s)
	switch {
	case s == string(state.FabricFailed) || s == string(state.SyncFailed):
		return "bad"
	case s == string(state.FabricIdle) || s == string(state.SyncCompleted):
		return "good"
	case s == string(state.FabricSuspended):
		return "muted"
	default:
		return "busy"
	}
}

// drawTimelines sets each sync's timeline, all to one scale (the longest
// sync on the page fills the width), so syncs compare at a glance; a stage
// too short to see still gets a sliver.
func drawTimelines(rows []syncRow) {
	longest := 0.0
	for _, r := range rows {
		total := 0.0
		for _, s := range r.Stages {
			total += s.seconds
		}
		longest = max(longest, total)
	}
	if longest <= 0 {
		return
	}
	for i := range rows {
		x := 0
		for _, s := range rows[i].Stages {
			if s.seconds <= 0 && s.Duration == "" {
				continue
			}
			w := max(2, int(s.seconds/longest*timelineWidth))
			if x+w > timelineWidth {
				w = max(0, timelineWidth-x)
			}
			rows[i].Timeline = append(rows[i].Timeline, timelineBar{State: s.State, Duration: s.Duration, X: x, W: w})
			x += w
		}
	}
}

// changeRow is one changed resource of a sync, for the page.
type changeRow struct {
	ChangeView
	Lines []diffLine
}

// diffLine is one line of a YAML diff: Class is add, del or ctx.
type diffLine struct {
	Class, Text string
}

// changeRows splits each change's diff into classed lines.
func changeRows(cs []ChangeView) []changeRow {
	out := make([]changeRow, 0, len(cs))
	for _, c := range cs {
		r := changeRow{ChangeView: c}
		for _, l := range strings.Split(strings.TrimSuffix(c.Diff, "\n"), "\n") {
			if l == "" {
				continue
			}
			class := "ctx"
			switch l[0] {
			case '+':
				class = "add"
			case '-':
				class = "del"
			}
			r.Lines = append(r.Lines, diffLine{Class: class, Text: l})
		}
		out = append(out, r)
	}
	return out
}
