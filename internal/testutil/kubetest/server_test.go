package kubetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

var vpcs = schema.GroupVersionResource{Group: "vpc.githedgehog.com", Version: "v1beta1", Resource: "vpcs"}

// TestServerAppliesAVPC applies one VPC with client-go's server-side apply and reads it back with
// the real kubectl: the CRDs are installed, the schema validates, and managedFields name the manager.
func TestServerAppliesAVPC(t *testing.T) {
	s := Start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(testdocs.VPC("vpc-1")), &obj.Object); err != nil {
		t.Fatal(err)
	}
	ns := s.Namespace(t)
	if _, err := dyn.Resource(vpcs).Namespace(ns).Apply(ctx, "vpc-1", obj, metav1.ApplyOptions{FieldManager: "smoke"}); err != nil {
		t.Fatal(err)
	}
	got := s.Kubectl(t, nil, "get", "vpcs", "-n", ns, "-o", "jsonpath={.items[*].metadata.managedFields[*].manager}")
	if got != "smoke" {
		t.Fatalf("managers of vpc-1: %q, want smoke", got)
	}
	if w := s.Writes(t, ""); len(w) == 0 {
		t.Fatal("the request log recorded no write")
	}

	bad := obj.DeepCopy()
	bad.Object["spec"].(map[string]any)["nonsense"] = true
	_, err = dyn.Resource(vpcs).Namespace(ns).Apply(ctx, "vpc-1", bad, metav1.ApplyOptions{FieldManager: "smoke"})
	if err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Fatalf("an unknown field: err %v, want the schema to reject it", err)
	}
}

// TestServerWithoutCRDs has no Hedgehog kinds.
func TestServerWithoutCRDs(t *testing.T) {
	s := Start(t, Options{NoCRDs: true})
	out := s.Kubectl(t, nil, "api-resources", "--api-group=vpc.githedgehog.com", "-o", "name")
	if strings.TrimSpace(out) != "" {
		t.Fatalf("api-resources: %q, want none", out)
	}
}
