package reconciler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// A file fgd refused to read stalls the fabric with a remediation naming
// it; any other failure keeps its class.
func TestUnsafeFileStallsTheFabric(t *testing.T) {
	refused := fmt.Errorf("ingest /srv/lab: %w", &fgd.UnsafeFileError{Path: "/srv/lab/.hnp/archive-log.yaml", Reason: fgd.ErrNotRegular})
	err := unsafeFile(refused)
	var re *resilience.Error
	if !errors.As(err, &re) || re.Class != resilience.ClassStalled || !strings.Contains(re.Remediation, "/srv/lab/.hnp/archive-log.yaml") {
		t.Fatalf("unsafeFile(%v) = %#v, want stalled naming the file", refused, err)
	}
	if !errors.Is(err, fgd.ErrNotRegular) {
		t.Error("the reason is lost")
	}
	plain := errors.New("boom")
	if got := unsafeFile(plain); got != plain {
		t.Errorf("unsafeFile(plain) = %v", got)
	}
	waiting := resilience.Waiting(refused, 0)
	if got := unsafeFile(waiting); got != waiting {
		t.Errorf("a classified error was reclassified: %v", got)
	}
}

// Only the 12 Hedgehog kinds, each from its own folder, pass the last check
// before the sinks.
func TestOnlyFabricKindsReachASink(t *testing.T) {
	vpc := &state.Resource{Key: "vpc.githedgehog.com/VPC/default/v1", Kind: "VPC", Path: "managed/vpcs/v1.yaml"}
	if err := onlyFabricKinds([]*state.Resource{vpc}); err != nil {
		t.Fatalf("a VPC was refused: %v", err)
	}
	for _, bad := range []*state.Resource{
		{Key: "rbac.authorization.k8s.io/ClusterRoleBinding/default/evil", Kind: "ClusterRoleBinding", Path: "managed/vpcs/evil.yaml"},
		{Key: "wiring.githedgehog.com/VPC/default/v1", Kind: "VPC", Path: "managed/vpcs/v1.yaml"},
		{Key: "vpc.githedgehog.com/VPC/default/v1", Kind: "VPC", Path: "managed/switches/v1.yaml"},
	} {
		err := onlyFabricKinds([]*state.Resource{vpc, bad})
		if resilience.ClassOf(err) != resilience.ClassStalled {
			t.Errorf("%s from %s: %v, want a stalled refusal", bad.Key, bad.Path, err)
		}
	}
}
