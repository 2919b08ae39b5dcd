package kubernetes

import (
	"context"
	"fmt"
	"log/slog"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Imported is one cluster object as a manifest for an FGD's raw/.
type Imported struct {
	// File is its file name: "<kind folder>-<namespace>-<name>.yaml", unique in a cluster.
	File string
	Body []byte
}

// serverFields are the metadata the API server fills in; an FGD holds what people write.
var serverFields = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}

// Import reads every object of the 12 Hedgehog kinds in every namespace of the cluster, with the
// fields the server populates (status, uid, managedFields, …), kubectl's last-applied annotation
// and fgd's ownership label removed, in apply order.
func Import(ctx context.Context, kubeconfigFile, kubeContext string) ([]Imported, error) {
	s := &Sink{opts: Options{KubeconfigFile: kubeconfigFile, Context: kubeContext, Logger: slog.New(slog.DiscardHandler)}}
	dyn, err := s.client()
	if err != nil {
		return nil, err
	}
	var out []Imported
	for _, k := range kinds() {
		opts := metav1.ListOptions{Limit: listPage}
		for {
			list, err := dyn.Resource(k.gvr).List(ctx, opts)
			if apierrors.IsNotFound(err) {
				return nil, missingKind(k, err)
			}
			if err != nil {
				return nil, classify(fmt.Errorf("list %s: %w", k.gvr.GroupResource(), err))
			}
			for i := range list.Items {
				im, err := stripped(k, &list.Items[i])
				if err != nil {
					return nil, err
				}
				out = append(out, im)
			}
			if list.GetContinue() == "" {
				break
			}
			opts.Continue = list.GetContinue()
		}
	}
	return out, nil
}

func stripped(k kind, o *unstructured.Unstructured) (Imported, error) {
	obj := o.DeepCopy().Object
	delete(obj, "status")
	for _, f := range serverFields {
		unstructured.RemoveNestedField(obj, "metadata", f)
	}
	unstructured.RemoveNestedField(obj, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")
	unstructured.RemoveNestedField(obj, "metadata", "labels", LabelFabric)
	for _, m := range []string{"annotations", "labels"} {
		if v, ok, _ := unstructured.NestedMap(obj, "metadata", m); ok && len(v) == 0 {
			unstructured.RemoveNestedField(obj, "metadata", m)
		}
	}
	body, err := yaml.Marshal(obj)
	if err != nil {
		return Imported{}, fmt.Errorf("%s %s/%s: %w", k.kind, o.GetNamespace(), o.GetName(), err)
	}
	return Imported{File: fmt.Sprintf("%s-%s-%s.yaml", k.gvr.Resource, o.GetNamespace(), o.GetName()), Body: body}, nil
}
