package kubernetes

import (
	"strings"
	"testing"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestPruneDeletesOnlyWhatFgdApplied: a VPC that left the desired set is deleted; a VPC fgd did not
// create (no label), and one another fabric owns, are never touched even when fgd's inventory names
// them.
func TestPruneDeletesOnlyWhatFgdApplied(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	keep, gone := resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns), resourceOf(t, vpc("vpc-2", "10.0.2.0/24", 1002), ns)
	s := newSink(t, srv, "prune", ns, nil)
	if _, err := s.Apply(ctx, firstApply([]contract.Resource{keep, gone})); err != nil {
		t.Fatal(err)
	}
	foreign := resourceOf(t, vpc("foreign", "10.0.3.0/24", 1003), ns)
	srv.Kubectl(t, foreign.Body, "apply", "--server-side", "--field-manager=someone", "-f", "-")
	neighbour := resourceOf(t, vpc("neighbour", "10.0.4.0/24", 1004), ns)
	if _, err := newSink(t, srv, "other-fabric", ns, nil).Apply(ctx, firstApply([]contract.Resource{neighbour})); err != nil {
		t.Fatal(err)
	}

	out, err := s.Apply(ctx, contract.Request{Fabric: "f", Desired: []contract.Resource{keep},
		Changes: contract.Diff{Delete: inventoryOf(gone, foreign, neighbour), Unchanged: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got[contract.ObjectDeleted] != 1 || got[contract.ObjectUnchanged] != 1 || len(out.Objects) != 2 {
		t.Errorf("outcomes %+v, want vpc-2 deleted and vpc-1 unchanged", out.Objects)
	}
	names := strings.Fields(srv.Kubectl(t, nil, "get", "vpcs", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"))
	if strings.Join(names, " ") != "foreign neighbour vpc-1" {
		t.Errorf("VPCs left: %v, want foreign neighbour vpc-1", names)
	}
}
