package directory

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// Sink adapts a Publisher to the reconciler: it publishes the whole desired
// set every sync (Apply is idempotent, so an unchanged set publishes no new
// tree), which also repairs hand edits of the published tree. It observes
// the live tree, so the reconciler finds drift by comparing the desired set
// with it; in detect-only mode it publishes nothing.
type Sink struct {
	p *Publisher

	mu   sync.Mutex
	seen *liveTree // what Observe read, for the Apply that follows
}

var (
	_ contract.Sink     = (*Sink)(nil)
	_ contract.Observer = (*Sink)(nil)
)

// NewSink returns the reconciler's view of p.
func NewSink(p *Publisher) *Sink { return &Sink{p: p} }

// Apply publishes req.Desired as the tree of req.Revision.
func (s *Sink) Apply(ctx context.Context, req contract.Request) (contract.Outcome, error) {
	_, err := s.apply(ctx, req)
	return contract.Outcome{}, err
}

// apply is Apply with the publisher's Result.
func (s *Sink) apply(ctx context.Context, req contract.Request) (Result, error) {
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
	s.mu.Lock()
	seen := s.seen
	s.seen = nil
	s.mu.Unlock()
	return s.p.apply(ctx, rev, manifests, seen)
}

// Observe reads the live tree: it stats every file and reads only those
// whose stamp moved since it last read them (see statCache), and every
// FullPassInterval all of them. A file fgd wrote for one of resources is
// reported under the resource's key with the hash of its bytes now; every
// other file that is not as fgd recorded it (added, changed or removed by
// hand, or no regular file) is foreign, named by its path in the tree.
func (s *Sink) Observe(_ context.Context, resources []contract.Resource) (contract.ActualSet, error) {
	s.p.mu.Lock()
	live, err := s.p.readLive()
	s.p.mu.Unlock()
	if err != nil {
		return contract.ActualSet{}, err
	}
	s.mu.Lock()
	s.seen = live
	s.mu.Unlock()
	asked := make(map[string]bool, len(resources))
	for _, r := range resources {
		asked[r.Key] = true
	}
	set := contract.ActualSet{Objects: map[string]contract.Actual{}}
	for path, h := range live.actual {
		e, ok := live.recorded[path]
		switch {
		case ok && asked[e.Key]:
			set.Objects[e.Key] = contract.Actual{Hash: h}
		case !ok || e.Hash != h:
			set.Foreign = append(set.Foreign, path)
		}
	}
	for path, e := range live.recorded {
		if _, ok := live.actual[path]; !ok && !asked[e.Key] {
			set.Foreign = append(set.Foreign, path)
		}
	}
	set.Foreign = append(set.Foreign, live.odd...)
	slices.Sort(set.Foreign)
	return set, nil
}
