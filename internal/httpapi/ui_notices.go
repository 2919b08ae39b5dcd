package httpapi

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// Notice kinds.
const (
	// NoticeReload: the last config reload was rejected or failed; the
	// previous configuration is in force.
	NoticeReload = "config-reload"
	// NoticeStalled: a fabric's last sync failed in a way that needs a
	// human; fgd does not retry it until something changes.
	NoticeStalled = "stalled"
	// NoticeCircuit: a circuit breaker is open; fgd stops calling a
	// failing remote or sink for a while.
	NoticeCircuit = "circuit-open"
)

// Notice is a daemon-level condition shown at the top of the status page.
type Notice struct {
	Kind string
	// Fabric is the fabric it concerns; "" for the daemon.
	Fabric  string
	Message string
	Fix     string
	// Since is when it began; zero when unknown.
	Since time.Time
}

// notices gathers the daemon's notices and the open circuits of every
// fabric, daemon-wide first, then by fabric.
func (u *ui) notices(fabrics []fabricRow) []Notice {
	var out []Notice
	if f := u.a.s.opts.Notices; f != nil {
		out = append(out, f()...)
	}
	for _, r := range fabrics {
		for _, t := range slices.Sorted(maps.Keys(r.Circuits)) {
			if r.Circuits[t] == "open" {
				out = append(out, Notice{Kind: NoticeCircuit, Fabric: r.Name, Message: "circuit open for " + t + ": fgd stops calling it for a while after repeated failures",
					Fix: "see the fabric's last error; fgd probes again by itself"})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Notice) int { return cmp.Compare(a.Fabric, b.Fabric) })
	return out
}
