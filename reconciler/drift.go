package reconciler

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// SinkAttempt is one try at applying req to sink, as a sync makes it. A
// sink that observes its target is read first, and its drift is the
// reconciler's comparison of req with what the target held (see drift);
// any other sink's drift is what the sink reports.
func SinkAttempt(ctx context.Context, sink contract.Sink, req contract.Request) (contract.Outcome, error) {
	obs, ok := sink.(contract.Observer)
	if !ok {
		return sink.Apply(ctx, req)
	}
	asked := req.Desired
	if len(req.Changes.Delete) > 0 {
		asked = slices.Concat(req.Desired, req.Changes.Delete)
	}
	actual, err := obs.Observe(ctx, asked)
	if err != nil {
		return contract.Outcome{}, fmt.Errorf("read the target: %w", err)
	}
	out, err := sink.Apply(ctx, req)
	out.Drift = drift(req, actual, out.Objects)
	return out, err
}

// Operations of a difference.
const (
	opCreate = "create"
	opUpdate = "update"
	opDelete = "delete"
)

// difference is one resource the target does not hold as a request asks.
type difference struct {
	op, key string
	fields  []string
}

// String renders a difference for drift reports:
// "update vpc.githedgehog.com/VPC/default/vpc-1 (spec.subnets.default.subnet)".
func (d difference) String() string {
	if len(d.fields) == 0 {
		return d.op + " " + d.key
	}
	return d.op + " " + d.key + " (" + strings.Join(d.fields, ", ") + ")"
}

// differences compares req with what the target holds, in key order: each
// desired resource the target lacks (create) or holds otherwise (update),
// and each of req.Changes.Delete it still holds (delete).
func differences(req contract.Request, actual contract.ActualSet) []difference {
	var out []difference
	for _, r := range req.Desired {
		a, ok := actual.Objects[r.Key]
		switch {
		case !ok:
			out = append(out, difference{op: opCreate, key: r.Key})
		case a.Hash != r.Hash:
			out = append(out, difference{op: opUpdate, key: r.Key, fields: a.Fields})
		}
	}
	for _, r := range req.Changes.Delete {
		if _, ok := actual.Objects[r.Key]; ok {
			out = append(out, difference{op: opDelete, key: r.Key})
		}
	}
	slices.SortFunc(out, func(a, b difference) int { return strings.Compare(a.key, b.key) })
	return out
}

// drift is what the target holds that fgd did not ask for, from what a sink
// observed before an apply (actual) and the apply's per-object outcomes:
// each difference that fgd's own changes since its last apply (req.Changes)
// do not explain, then everything foreign. With req.DetectOnly it is every
// difference, since fgd's pending changes are not applied either. A
// resource the sink reports rejected is left out: the target refuses it at
// every sync, which its outcome says.
func drift(req contract.Request, actual contract.ActualSet, objects []contract.ObjectResult) []string {
	expected := map[string]bool{}
	if !req.DetectOnly {
		for _, l := range [][]contract.Resource{req.Changes.Create, req.Changes.Update, req.Changes.Delete} {
			for _, r := range l {
				expected[r.Key] = true
			}
		}
	}
	for _, o := range objects {
		if o.Outcome == contract.ObjectRejected {
			expected[o.Key] = true
		}
	}
	var out []string
	for _, d := range differences(req, actual) {
		if !expected[d.key] {
			out = append(out, d.String())
		}
	}
	return append(out, actual.Foreign...)
}
