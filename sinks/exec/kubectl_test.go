package exec

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/kubetest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestKubectlAgainstAPIServer runs the documented exec sink, the real kubectl applying server-side
// and deleting, against a real API server with the Hedgehog CRDs.
func TestKubectlAgainstAPIServer(t *testing.T) {
	srv := kubetest.Start(t, kubetest.Options{})
	ns := srv.Namespace(t)
	r := newRunner(t, Options{
		Command:      []string{"kubectl", "apply", "--server-side", "-n", ns, "-f", "-"},
		PruneCommand: []string{"kubectl", "delete", "--ignore-not-found", "-n", ns, "-f", "-"},
		Env:          map[string]string{"KUBECONFIG": srv.Kubeconfig},
		Timeout:      5 * time.Minute,
	})
	s := NewSink(r)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	vpc := func(name string) contract.Resource {
		return contract.Resource{Key: "vpc.githedgehog.com/VPC/" + ns + "/" + name, Body: []byte(testdocs.VPC(name))}
	}
	one, two := vpc("vpc-1"), vpc("vpc-2")
	if out, err := s.Apply(ctx, contract.Request{Fabric: "lab", Desired: []contract.Resource{one, two},
		Changes: contract.Diff{Create: []contract.Resource{one, two}}}); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.Output)
	}
	names := func() string {
		return srv.Kubectl(t, nil, "get", "vpcs", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
	}
	if got := names(); got != "vpc-1 vpc-2" {
		t.Fatalf("VPCs after apply: %q", got)
	}
	if m := srv.Kubectl(t, nil, "get", "vpc", "vpc-1", "-n", ns, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"); !strings.HasPrefix(m, "kubectl") {
		t.Errorf("field manager %q, want kubectl's", m)
	}
	if out, err := s.Apply(ctx, contract.Request{Fabric: "lab", Desired: []contract.Resource{one},
		Changes: contract.Diff{Delete: []contract.Resource{{Key: two.Key, Body: two.Body}}, Unchanged: 1}}); err != nil {
		t.Fatalf("prune: %v\n%s", err, out.Output)
	}
	if got := names(); got != "vpc-1" {
		t.Errorf("VPCs after prune: %q, want vpc-1", got)
	}
}
