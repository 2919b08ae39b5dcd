package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestDriftByAnotherManager changes a VPC's subnet with kubectl (another field manager): a
// detect-only sink reports it naming the object and the field and writes nothing; an apply sink
// restores the value.
func TestDriftByAnotherManager(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := []contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns), resourceOf(t, vpc("vpc-2", "10.0.2.0/24", 1002), ns)}
	apply := newSink(t, srv, "drift", ns, nil)
	if _, err := apply.Apply(ctx, firstApply(desired)); err != nil {
		t.Fatal(err)
	}
	srv.Kubectl(t, nil, "patch", "vpc", "vpc-1", "-n", ns, "--type", "merge",
		"-p", `{"spec":{"subnets":{"default":{"subnet":"10.9.9.0/24"}}}}`)

	detect := newSink(t, srv, "drift", ns, func(o *Options) { o.DetectOnly = true })
	before := len(srv.Writes(t, UserAgent))
	out, err := syncOnce(ctx, detect, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	want := "update vpc.githedgehog.com/VPC/" + ns + "/vpc-1 (spec.subnets.default.subnet)"
	if !slices.Equal(out.Drift, []string{want}) {
		t.Errorf("detect-only drift %q, want [%q]", out.Drift, want)
	}
	if w := srv.Writes(t, UserAgent)[before:]; len(w) != 0 {
		t.Errorf("detect-only made %d writes: %+v", len(w), w)
	}
	if got := subnet(t, srv, ns, "vpc-1"); got != "10.9.9.0/24" {
		t.Errorf("detect-only changed the subnet to %s", got)
	}

	out, err = syncOnce(ctx, apply, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Drift, []string{want}) || outcomes(out)[contract.ObjectApplied] != 1 {
		t.Errorf("apply: drift %q outcomes %v, want the drift restored by one apply", out.Drift, outcomes(out))
	}
	if got := subnet(t, srv, ns, "vpc-1"); got != "10.0.1.0/24" {
		t.Errorf("apply left the subnet at %s, want 10.0.1.0/24 restored", got)
	}

	srv.Kubectl(t, nil, "delete", "vpc", "vpc-2", "-n", ns)
	out, err = syncOnce(ctx, detect, resync(desired))
	if err != nil {
		t.Fatal(err)
	}
	if want := "create vpc.githedgehog.com/VPC/" + ns + "/vpc-2"; !slices.Equal(out.Drift, []string{want}) {
		t.Errorf("after a delete by hand: drift %q, want [%q]", out.Drift, want)
	}
}

func subnet(t *testing.T, srv interface {
	Kubectl(testing.TB, []byte, ...string) string
}, ns, name string) string {
	t.Helper()
	return srv.Kubectl(t, nil, "get", "vpc", name, "-n", ns, "-o", "jsonpath={.spec.subnets.default.subnet}")
}

// TestConflictReportedPerObject: with force_conflicts off, a field another manager took with
// server-side apply is reported as that object's conflict, naming the manager; the sync does not
// fail and the other objects are applied.
func TestConflictReportedPerObject(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	desired := []contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns), resourceOf(t, vpc("vpc-2", "10.0.2.0/24", 1002), ns)}
	s := newSink(t, srv, "conflict", ns, func(o *Options) { o.ForceConflicts = false })
	if _, err := s.Apply(ctx, firstApply(desired)); err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(vpc("vpc-1", "10.7.7.0/24", 1001), "  name: vpc-1", "  name: vpc-1\n  namespace: "+ns, 1)
	srv.Kubectl(t, []byte(other), "apply", "--server-side", "--force-conflicts", "--field-manager=night-shift", "-f", "-")

	changed := []contract.Resource{desired[0], resourceOf(t, vpc("vpc-2", "10.0.2.0/24", 1022), ns)}
	out, err := s.Apply(ctx, contract.Request{Fabric: "f", Desired: changed, Changes: contract.Diff{Update: changed[1:]}})
	if err != nil {
		t.Fatalf("a conflict failed the sync: %v", err)
	}
	byKey := map[string]contract.ObjectResult{}
	for _, o := range out.Objects {
		byKey[o.Key] = o
	}
	c := byKey[desired[0].Key]
	if c.Outcome != contract.ObjectConflict || !strings.Contains(c.Message, "night-shift") || !strings.Contains(c.Message, "subnet") {
		t.Errorf("vpc-1: %+v, want a conflict naming night-shift and the subnet", c)
	}
	if o := byKey[changed[1].Key]; o.Outcome != contract.ObjectApplied {
		t.Errorf("vpc-2: %+v, want applied", o)
	}
	if got := subnet(t, srv, ns, "vpc-1"); got != "10.7.7.0/24" {
		t.Errorf("without force the other manager's subnet was replaced by %s", got)
	}
}

// TestSinkNamespaceKeepsResourceKeys: with a namespace other than "default", a document naming
// none goes into the sink's namespace, yet fgd knows the resource by its key in "default". Its
// outcome is reported under that key (the API's resource list matches outcomes by key), fgd's own
// create is not drift, and a change by another client is, under that key.
func TestSinkNamespaceKeepsResourceKeys(t *testing.T) {
	srv := shared(t)
	ctx, ns := testCtx(t), srv.Namespace(t)
	body := []byte(vpc("vpc-1", "10.0.1.0/24", 1001))
	r := contract.Resource{Key: "vpc.githedgehog.com/VPC/default/vpc-1", Kind: "VPC", Name: "vpc-1",
		Path: "managed/vpcs/vpc-1.yaml", Body: body}
	sum := sha256.Sum256(body)
	r.Hash = hex.EncodeToString(sum[:])
	s := newSink(t, srv, "keys", ns, nil)
	out, err := syncOnce(ctx, s, firstApply([]contract.Resource{r}))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Objects) != 1 || out.Objects[0].Key != r.Key || out.Objects[0].Outcome != contract.ObjectApplied || len(out.Drift) != 0 {
		t.Fatalf("first apply: objects %+v, drift %q; want %s applied, no drift", out.Objects, out.Drift, r.Key)
	}
	srv.Kubectl(t, nil, "patch", "vpc", "vpc-1", "-n", ns, "--type", "merge",
		"-p", `{"spec":{"subnets":{"default":{"subnet":"10.9.9.0/24"}}}}`)
	out, err = syncOnce(ctx, s, resync([]contract.Resource{r}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "update " + r.Key + " (spec.subnets.default.subnet)"; !slices.Equal(out.Drift, []string{want}) {
		t.Errorf("after a patch: drift %q, want [%q]", out.Drift, want)
	}
}
