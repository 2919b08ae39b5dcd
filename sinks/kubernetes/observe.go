package kubernetes

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// LabelFabric is the ownership label: fgd puts it, with the fabric's name as value, on everything
// it applies, and only deletes objects that carry it and that its inventory says it applied.
const LabelFabric = "hnp.githedgehog.com/fabric"

// listPage is the page size of lists: big enough for few round trips, small enough to keep each
// response bounded.
const listPage = 500

// Live lists the live objects of the fabric that carry the ownership label, keyed like the
// desired set ("group/Kind/namespace/name").
func (s *Sink) Live(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
	dyn, err := s.client()
	if err != nil {
		return nil, err
	}
	return s.observe(ctx, dyn)
}

// Observe reads the fabric's live objects (from the watches' cache while it is complete, else by
// listing them) and compares each of resources with its object, field by field on what the
// field manager owns: an object that holds the resource as fgd would apply it is reported with
// the resource's hash, one that differs with its resourceVersion and the differing fields. It
// writes nothing.
func (s *Sink) Observe(ctx context.Context, resources []contract.Resource) (contract.ActualSet, error) {
	dyn, err := s.client()
	if err != nil {
		return contract.ActualSet{}, err
	}
	live := s.cachedLive()
	if live == nil {
		if live, err = s.observe(ctx, dyn); err != nil {
			return contract.ActualSet{}, err
		}
	}
	set := contract.ActualSet{Objects: make(map[string]contract.Actual, len(resources))}
	for _, r := range resources {
		c, err := s.compare(r, live)
		if err != nil {
			return contract.ActualSet{}, err
		}
		switch c.op {
		case opUnchanged:
			set.Objects[r.Key] = contract.Actual{Hash: r.Hash}
		case opUpdate:
			set.Objects[r.Key] = contract.Actual{Hash: "resourceVersion " + live[c.key].GetResourceVersion(), Fields: c.fields}
		}
	}
	return set, nil
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
