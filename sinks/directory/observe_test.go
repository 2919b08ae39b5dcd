package directory

import (
	"context"
	"maps"
	"testing"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestApplyAfterObserveRereadsAMovedTree: an Apply starts from the tree its
// Observe read only while current still points to it; when another
// publish moved current in between, it reads the live tree again and
// publishes what is desired over it.
func TestApplyAfterObserveRereadsAMovedTree(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	want := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n"}
	apply(t, p, "r1", want)
	s := NewSink(p)
	var req contract.Request
	for _, m := range set(want) {
		req.Desired = append(req.Desired, resourceOf(m))
	}
	if _, err := s.Observe(context.Background(), req.Desired); err != nil {
		t.Fatal(err)
	}
	// Someone else publishes at the path meanwhile.
	other := newPublisher(t, Options{Path: root, Prune: true})
	apply(t, other, "r2", map[string]string{"vpcs/c.yaml": "c\n"})

	req.Revision = "r1"
	if _, err := s.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, current(t, root)); !maps.Equal(got, want) {
		t.Errorf("live tree %v, want %v", got, want)
	}
}
