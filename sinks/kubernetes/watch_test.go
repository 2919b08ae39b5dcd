package kubernetes

import (
	"context"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
)

// TestWatchTriggersOnForeignChanges: the watch asks for a sync when kubectl changes or deletes an
// object fgd applied, naming the object and who changed it, and not for fgd's own applies.
func TestWatchTriggersOnForeignChanges(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := []*state.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns)}
	s := newSink(t, srv, "watch", ns, nil)
	if _, err := s.Apply(ctx, firstApply(desired)); err != nil {
		t.Fatal(err)
	}
	triggers := make(chan reconciler.Trigger, 100)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Watch(wctx, func(tr reconciler.Trigger) { triggers <- tr }) }()
	defer func() { stop(); <-done }()
	next := func(what string) reconciler.Trigger {
		t.Helper()
		select {
		case tr := <-triggers:
			return tr
		case <-time.After(2 * time.Minute):
			t.Fatalf("no trigger after %s", what)
		}
		return reconciler.Trigger{}
	}

	// The watch starts in the background: change the VPC until it is seen.
	var tr reconciler.Trigger
	for i := 0; ; i++ {
		srv.Kubectl(t, nil, "patch", "vpc", "vpc-1", "-n", ns, "--type", "merge",
			"-p", `{"spec":{"subnets":{"default":{"vlan":`+[]string{"1501", "1502"}[i%2]+`}}}}`)
		select {
		case tr = <-triggers:
		case <-time.After(2 * time.Second):
			if i < 60 {
				continue
			}
			t.Fatal("no trigger after kubectl patch")
		}
		break
	}
	if want := "VPC " + ns + "/vpc-1 changed by kubectl-patch"; tr.Kind != "watch" || tr.Detail != want {
		t.Errorf("trigger %+v, want watch %q", tr, want)
	}
	// fgd's own restore must not trigger: the next trigger is the delete that follows it.
	if _, err := s.Apply(ctx, resync(desired)); err != nil {
		t.Fatal(err)
	}
	for len(triggers) > 0 {
		<-triggers // patches sent before the watch's first event was read
	}
	srv.Kubectl(t, nil, "delete", "vpc", "vpc-1", "-n", ns)
	if tr := next("kubectl delete"); tr.Detail != "VPC "+ns+"/vpc-1 deleted" {
		t.Errorf("after fgd's apply and a delete: trigger %+v, want the delete", tr)
	}
}
