package kubernetes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestWatchTriggersOnForeignChanges: the watch asks for a sync when kubectl changes or deletes an
// object fgd applied, naming the object and who changed it, and not for fgd's own applies.
func TestWatchTriggersOnForeignChanges(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := []contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns)}
	s := newSink(t, srv, "watch", ns, nil)
	if _, err := s.Apply(ctx, firstApply(desired)); err != nil {
		t.Fatal(err)
	}
	triggers := make(chan contract.Trigger, 100)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Watch(wctx, func(tr contract.Trigger) { triggers <- tr }) }()
	defer func() { stop(); <-done }()
	next := func(what string) contract.Trigger {
		t.Helper()
		select {
		case tr := <-triggers:
			return tr
		case <-time.After(2 * time.Minute):
			t.Fatalf("no trigger after %s", what)
		}
		return contract.Trigger{}
	}

	// The watch starts in the background: change the VPC until it is seen.
	var tr contract.Trigger
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

// TestSyncFromTheWatchCache: while the watches run, syncs read the live objects from what they
// saw instead of listing: a change by kubectl is still found and restored, a deleted object is
// created again, and a sync after them writes nothing.
func TestSyncFromTheWatchCache(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := []contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns), resourceOf(t, vpc("vpc-2", "10.0.2.0/24", 1002), ns)}
	s := newSink(t, srv, "cache", ns, nil)
	if _, err := s.Apply(ctx, firstApply(desired)); err != nil {
		t.Fatal(err)
	}
	triggers := make(chan contract.Trigger, 100)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Watch(wctx, func(tr contract.Trigger) { triggers <- tr }) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(2 * time.Minute)
	for s.cachedLive() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the watches never listed every kind")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sync := func(what string) contract.Outcome {
		t.Helper()
		select {
		case <-triggers:
		case <-time.After(2 * time.Minute):
			t.Fatalf("no trigger after %s", what)
		}
		// The trigger comes from the event that also updated the cache.
		out, err := syncOnce(ctx, s, resync(desired))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	srv.Kubectl(t, nil, "patch", "vpc", "vpc-1", "-n", ns, "--type", "merge", "-p", `{"spec":{"subnets":{"default":{"subnet":"10.9.9.0/24"}}}}`)
	if out := sync("kubectl patch"); len(out.Drift) != 1 || subnet(t, srv, ns, "vpc-1") != "10.0.1.0/24" {
		t.Errorf("after a patch: drift %q, subnet %s; want it restored", out.Drift, subnet(t, srv, ns, "vpc-1"))
	}
	srv.Kubectl(t, nil, "delete", "vpc", "vpc-2", "-n", ns)
	if out := sync("kubectl delete"); len(out.Drift) != 1 || !strings.HasPrefix(out.Drift[0], "create ") {
		t.Errorf("after a delete: drift %q, want vpc-2 created again", out.Drift)
	}
	if got := srv.Kubectl(t, nil, "get", "vpcs", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"); got != "vpc-1 vpc-2" {
		t.Errorf("VPCs %q, want vpc-1 vpc-2", got)
	}
	// Wait until the cache has seen fgd's own writes, then a sync must write nothing.
	deadline = time.Now().Add(2 * time.Minute)
	for {
		live := s.cachedLive()
		if live != nil && live[desired[1].Key] != nil && s.knownSame(desired[0].Key, desired[0].Hash, live[desired[0].Key]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache never saw fgd's writes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := len(srv.Writes(t, UserAgent))
	out, err := syncOnce(ctx, s, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if w := srv.Writes(t, UserAgent)[before:]; len(w) != 0 || len(out.Drift) != 0 {
		t.Errorf("a sync after them: drift %q, %d writes, want none", out.Drift, len(w))
	}
}
