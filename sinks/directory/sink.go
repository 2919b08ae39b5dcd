package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// Sink adapts a Publisher to the reconciler: it publishes the whole desired
// set every sync (Apply is idempotent, so an unchanged set publishes no new
// tree), which also repairs hand edits of the published tree. In
// detect-only mode it publishes nothing and reports as drift both the hand
// edits and the files it would create, update or delete.
type Sink struct{ p *Publisher }

var _ contract.Sink = (*Sink)(nil)

// NewSink returns the reconciler's view of p.
func NewSink(p *Publisher) *Sink { return &Sink{p: p} }

// Apply publishes req.Desired as the tree of req.Revision.
func (s *Sink) Apply(ctx context.Context, req contract.Request) (contract.Outcome, error) {
	manifests := make([]Manifest, len(req.Desired))
	for i, r := range req.Desired {
		manifests[i] = Manifest{
			Path: strings.TrimPrefix(r.Path, fgd.ManagedDir+"/"),
			Body: r.Body, Key: r.Key, Hash: r.Hash,
		}
	}
	rev := req.Revision
	if rev == "" {
		rev = "local"
	}
	res, err := s.p.Apply(ctx, rev, manifests)
	drift := res.Drift
	if s.p.opts.DetectOnly {
		// What it would publish differs from the target too, as an exec
		// sink's pending changes do.
		drift = slices.Concat(res.Drift, res.Created, res.Updated, res.Deleted)
		slices.Sort(drift)
		drift = slices.Compact(drift)
	}
	return contract.Outcome{Drift: drift}, err
}
