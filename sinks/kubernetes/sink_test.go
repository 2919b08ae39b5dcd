package kubernetes

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestApplyDemoFabricThenResyncWritesNothing applies the corpus's demo fabric to a real API server:
// every resource is applied in dependency order, kubectl sees the VPCs with fgd as their field
// manager and the ownership label, and a second sync with nothing changed makes no write at all.
func TestApplyDemoFabricThenResyncWritesNothing(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := demoFabric(t, ns)
	s := newSink(t, srv, "demo", ns, nil)

	out, err := syncOnce(ctx, s, firstApply(desired))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got[contract.ObjectApplied] != len(desired) {
		t.Fatalf("outcomes %v, want %d applied; results %+v", got, len(desired), out.Objects)
	}
	if len(out.Drift) != 0 {
		t.Errorf("a first apply that fgd asked for reported drift: %v", out.Drift)
	}

	var vpcs struct {
		Items []struct {
			Metadata struct {
				Name          string            `json:"name"`
				Labels        map[string]string `json:"labels"`
				ManagedFields []struct {
					Manager   string `json:"manager"`
					Operation string `json:"operation"`
				} `json:"managedFields"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(srv.Kubectl(t, nil, "get", "vpcs", "-A", "--show-managed-fields", "-o", "json")), &vpcs); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, v := range vpcs.Items {
		if v.Metadata.Labels[LabelFabric] != "demo" {
			continue
		}
		seen++
		if mf := v.Metadata.ManagedFields; len(mf) != 1 || mf[0].Manager != "fgd" || mf[0].Operation != "Apply" {
			t.Errorf("VPC %s: managedFields %+v, want fgd's Apply only", v.Metadata.Name, mf)
		}
	}
	if want := countKind(desired, "VPC"); seen != want || want == 0 {
		t.Errorf("kubectl get vpcs -A: %d VPCs with %s=demo, want %d", seen, LabelFabric, want)
	}
	live, err := s.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != len(desired) {
		t.Errorf("Observe: %d live objects, want %d", len(live), len(desired))
	}

	before := len(srv.Writes(t, UserAgent))
	out, err = syncOnce(ctx, s, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got[contract.ObjectUnchanged] != len(desired) || len(out.Drift) != 0 {
		t.Errorf("re-sync: outcomes %v drift %v, want all %d unchanged", got, out.Drift, len(desired))
	}
	if w := srv.Writes(t, UserAgent)[before:]; len(w) != 0 {
		t.Errorf("re-sync with nothing changed made %d writes, want 0: %+v", len(w), w)
	}

	// A new sink, as after a restart, knows nothing of what it applied: it compares every field it
	// owns, and still writes nothing.
	out, err = syncOnce(ctx, newSink(t, srv, "demo", ns, nil), resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got[contract.ObjectUnchanged] != len(desired) || len(out.Drift) != 0 {
		t.Errorf("re-sync after a restart: outcomes %v drift %v, want all %d unchanged", got, out.Drift, len(desired))
	}
	if w := srv.Writes(t, UserAgent)[before:]; len(w) != 0 {
		t.Errorf("re-sync after a restart made %d writes, want 0: %+v", len(w), w)
	}
}

func countKind(desired []contract.Resource, kind string) int {
	n := 0
	for _, r := range desired {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// TestRejectedObjectDoesNotBlockOthers: the API server's schema refuses one VPC; the others are
// applied and the refusal is that object's result, with the server's message.
func TestRejectedObjectDoesNotBlockOthers(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	bad := resourceOf(t, strings.Replace(vpc("vpc-bad", "10.0.2.0/24", 1002), "vlan: 1002", "vlan: many", 1), ns)
	desired := []contract.Resource{resourceOf(t, vpc("vpc-a", "10.0.1.0/24", 1001), ns), bad,
		resourceOf(t, vpc("vpc-c", "10.0.3.0/24", 1003), ns)}
	s := newSink(t, srv, "rejects", ns, nil)
	out, err := s.Apply(ctx, firstApply(desired))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Objects {
		want := contract.ObjectApplied
		if o.Key == bad.Key {
			want = contract.ObjectRejected
		}
		if o.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", o.Key, o.Outcome, o.Message, want)
		}
		if o.Key == bad.Key && !strings.Contains(o.Message, "spec.subnets.default.vlan") {
			t.Errorf("rejection message %q does not name the field", o.Message)
		}
	}
	if len(out.Objects) != 3 {
		t.Errorf("results %+v, want 3", out.Objects)
	}

	// The next sync, with nothing changed in the FGD, tries it again: rejected again, and not
	// reported as drift.
	out, err = syncOnce(ctx, s, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(out); got[contract.ObjectRejected] != 1 || got[contract.ObjectUnchanged] != 2 || len(out.Drift) != 0 {
		t.Errorf("re-sync: outcomes %v drift %q, want vpc-bad rejected again and no drift", got, out.Drift)
	}
}
