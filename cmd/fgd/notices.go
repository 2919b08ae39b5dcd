package main

import (
	"sync"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/reconciler"
)

// reloadNotice remembers the last config reload that did not take, for
// the status page: the log line and the metric are easy to miss.
type reloadNotice struct {
	mu   sync.Mutex
	err  string
	file string
	at   time.Time
}

// set records a rejected or failed reload; clear a successful one.
func (n *reloadNotice) set(file, err string, at time.Time) {
	n.mu.Lock()
	n.file, n.err, n.at = file, err, at
	n.mu.Unlock()
}

func (n *reloadNotice) clear() { n.set("", "", time.Time{}) }

// notices is httpapi.Options.Notices: a reload that did not take, and every
// fabric whose last sync stalled (needs a human; fgd does not retry it).
func notices(n *reloadNotice, rec *reconciler.Reconciler) func() []httpapi.Notice {
	return func() []httpapi.Notice {
		var out []httpapi.Notice
		n.mu.Lock()
		if n.err != "" {
			out = append(out, httpapi.Notice{Kind: httpapi.NoticeReload, Since: n.at,
				Message: "the last config reload was not applied; the previous configuration is still in force: " + n.err,
				Fix:     "fix " + n.file + " (fgd check-config " + n.file + " lists every problem), then reload again"})
		}
		n.mu.Unlock()
		for _, f := range rec.Fabrics() {
			l := f.Last
			if l == nil || l.State != reconciler.StateFailed || l.ErrorClass != resilience.ClassStalled.String() {
				continue
			}
			out = append(out, httpapi.Notice{Kind: httpapi.NoticeStalled, Fabric: f.Name, Since: l.Finished,
				Message: "stalled: " + l.Error + " (fgd does not retry until something changes)", Fix: l.Remediation})
		}
		return out
	}
}
