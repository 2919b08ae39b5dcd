package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fgdproject/fgd/internal/testutil/kubetest"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// goldenManaged is the managed/ tree of the shared corpus, as fgd ingests it: the demo fabric.
const goldenManaged = "../../testdata/golden/managed"

var (
	sharedOnce sync.Once
	sharedSrv  *kubetest.Server
	sharedErr  error
)

// TestMain stops the shared API server, if a test started one.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedSrv != nil {
		sharedSrv.Stop()
	}
	os.Exit(code)
}

// shared is the API server the tests of this package share; each keeps to its own namespace and
// fabric name.
func shared(t testing.TB) *kubetest.Server {
	t.Helper()
	sharedOnce.Do(func() { sharedSrv, sharedErr = kubetest.StartShared(kubetest.Options{}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedSrv
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func newSink(t testing.TB, srv *kubetest.Server, fabric, ns string, change func(*Options)) *Sink {
	t.Helper()
	o := Options{Fabric: fabric, KubeconfigFile: srv.Kubeconfig, Namespace: ns, FieldManager: "fgd", ForceConflicts: true}
	if change != nil {
		change(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// resourceOf builds the desired resource of a manifest, moved into namespace ns.
func resourceOf(t testing.TB, body, ns string) contract.Resource {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(body), &obj.Object); err != nil {
		t.Fatal(err)
	}
	obj.SetNamespace(ns)
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	gvk := obj.GroupVersionKind()
	sum := sha256.Sum256(b)
	return contract.Resource{Key: fmt.Sprintf("%s/%s/%s/%s", gvk.Group, gvk.Kind, ns, obj.GetName()), Kind: gvk.Kind,
		Name: obj.GetName(), Namespace: ns, Hash: hex.EncodeToString(sum[:]), Body: b,
		Path: "managed/" + strings.ToLower(gvk.Kind) + "/" + obj.GetName() + ".yaml"}
}

// demoFabric is the corpus's managed resources, moved into namespace ns and sorted by key.
func demoFabric(t *testing.T, ns string) []contract.Resource {
	t.Helper()
	var out []contract.Resource
	err := filepath.WalkDir(goldenManaged, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, resourceOf(t, string(b), ns))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// firstApply is the request of a sync to a sink that holds nothing yet.
func firstApply(desired []contract.Resource) contract.Request {
	return contract.Request{Fabric: "f", Desired: desired, Changes: contract.Diff{Create: desired}}
}

// resync is the request of a sync in which nothing changed since the last apply.
func resync(desired []contract.Resource) contract.Request {
	return contract.Request{Fabric: "f", Desired: desired, Changes: contract.Diff{Unchanged: len(desired)}}
}

func inventoryOf(rs ...contract.Resource) []contract.Resource {
	var out []contract.Resource
	for _, r := range rs {
		out = append(out, contract.Resource{Key: r.Key, Hash: r.Hash, Body: r.Body})
	}
	return out
}

func outcomes(out contract.Outcome) map[string]int {
	m := map[string]int{}
	for _, o := range out.Objects {
		m[o.Outcome]++
	}
	return m
}

func vpc(name, subnet string, vlan int) string {
	return fmt.Sprintf(`apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: %s
spec:
  subnets:
    default:
      subnet: %s
      vlan: %d
`, name, subnet, vlan)
}

// syncOnce is one sync's attempt at s as the reconciler makes it: s observed, applied, and its
// drift found by comparing the request with what s observed.
func syncOnce(ctx context.Context, s *Sink, req contract.Request) (contract.Outcome, error) {
	return reconciler.SinkAttempt(ctx, s, req)
}
