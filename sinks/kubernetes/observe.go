package kubernetes

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// LabelFabric is the ownership label: fgd puts it, with the fabric's name as value, on everything
// it applies, and only deletes objects that carry it and that its inventory says it applied.
const LabelFabric = "hnp.githedgehog.com/fabric"

// listPage is the page size of lists: big enough for few round trips, small enough to keep each
// response bounded.
const listPage = 500

// Observe lists the live objects of the fabric that carry the ownership label, keyed like the
// desired set ("group/Kind/namespace/name").
func (s *Sink) Observe(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
	dyn, err := s.client()
	if err != nil {
		return nil, err
	}
	return s.observe(ctx, dyn)
}

func (s *Sink) observe(ctx context.Context, dyn dynamic.Interface) (map[string]*unstructured.Unstructured, error) {
	live := map[string]*unstructured.Unstructured{}
	for _, k := range kinds() {
		opts := metav1.ListOptions{LabelSelector: LabelFabric + "=" + s.opts.Fabric, Limit: listPage}
		for {
			list, err := dyn.Resource(k.gvr).List(ctx, opts)
			if apierrors.IsNotFound(err) {
				return nil, missingKind(k, err)
			}
			if err != nil {
				return nil, classify(fmt.Errorf("list %s: %w", k.gvr.GroupResource(), err))
			}
			for i := range list.Items {
				o := &list.Items[i]
				live[keyOf(k, o.GetNamespace(), o.GetName())] = o
			}
			if list.GetContinue() == "" {
				break
			}
			opts.Continue = list.GetContinue()
		}
	}
	return live, nil
}

func keyOf(k kind, namespace, name string) string {
	return k.gvr.Group + "/" + k.kind + "/" + namespace + "/" + name
}
