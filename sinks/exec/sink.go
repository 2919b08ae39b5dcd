package exec

import (
	"context"
	"fmt"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// Sink adapts a Runner to the reconciler: the command gets the created and
// updated resources, the prune command the deleted ones, and nothing runs
// when nothing changed since the last apply (so a restart re-applies
// nothing). Detect-only reports the pending changes as drift and runs
// nothing.
type Sink struct{ r *Runner }

var _ contract.Sink = (*Sink)(nil)

// NewSink returns the reconciler's view of r.
func NewSink(r *Runner) *Sink { return &Sink{r: r} }

// Apply runs the commands for req.Changes.
func (s *Sink) Apply(ctx context.Context, req contract.Request) (contract.Outcome, error) {
	var apply, prune [][]byte
	for _, list := range [][]contract.Resource{req.Changes.Create, req.Changes.Update} {
		for _, r := range list {
			apply = append(apply, r.Body)
		}
	}
	for _, it := range req.Changes.Delete {
		prune = append(prune, it.Body)
	}
	if req.DetectOnly {
		var drift []string
		for _, list := range [][]contract.Resource{req.Changes.Create, req.Changes.Update} {
			for _, r := range list {
				drift = append(drift, r.Key)
			}
		}
		for _, it := range req.Changes.Delete {
			drift = append(drift, it.Key)
		}
		return contract.Outcome{Drift: drift}, nil
	}
	out := s.r.Apply(ctx, apply)
	if out.Err != nil {
		return contract.Outcome{Output: out.Output}, fmt.Errorf("apply %d resources: %w", len(apply), out.Err)
	}
	p := s.r.Prune(ctx, prune)
	output := out.Output + p.Output
	if p.Err != nil {
		return contract.Outcome{Output: output}, fmt.Errorf("prune %d resources: %w", len(prune), p.Err)
	}
	return contract.Outcome{Output: output}, nil
}
