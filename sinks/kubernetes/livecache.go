package kubernetes

import (
	"context"
	"fmt"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// liveCache is the fabric's live objects as the watches see them. While every kind's watch is
// running, a sync reads its objects from here instead of listing them all again. A change the
// cache has not seen yet is one a watch event is on its way for, and that event asks for another
// sync; an object the cache shows stale is compared again or applied once more, never wrongly
// left alone, because the memo trusts only the exact resourceVersion it saw.
type liveCache struct {
	// gen counts the clients built: a watch of an earlier client (the kubeconfig changed, perhaps
	// to another cluster) no longer feeds the cache.
	gen int
	// synced holds the kinds whose list is in objs and whose watch is running.
	synced map[string]bool
	objs   map[string]*unstructured.Unstructured
}

// cachedLive returns a copy of the live objects when every kind is watched, else nil.
func (s *Sink) cachedLive() map[string]*unstructured.Unstructured {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live.synced) < len(kinds()) {
		return nil
	}
	return maps.Clone(s.live.objs)
}

// listKind lists the fabric's objects of one kind into the cache and returns the list's
// resourceVersion, where the watch starts.
func (s *Sink) listKind(ctx context.Context, dyn dynamic.Interface, gen int, k kind, sel string) (string, error) {
	objs := map[string]*unstructured.Unstructured{}
	opts := metav1.ListOptions{LabelSelector: sel, Limit: listPage}
	var rv string
	for {
		list, err := dyn.Resource(k.gvr).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			o := &list.Items[i]
			objs[keyOf(k, o.GetNamespace(), o.GetName())] = o
		}
		rv = list.GetResourceVersion()
		if list.GetContinue() == "" {
			break
		}
		opts.Continue = list.GetContinue()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.live.gen {
		return "", fmt.Errorf("the kubeconfig changed")
	}
	if s.live.objs == nil {
		s.live.objs, s.live.synced = map[string]*unstructured.Unstructured{}, map[string]bool{}
	}
	prefix := k.gvr.Group + "/" + k.kind + "/"
	for key := range s.live.objs {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix {
			delete(s.live.objs, key)
		}
	}
	maps.Copy(s.live.objs, objs)
	s.live.synced[k.kind] = true
	return rv, nil
}

// unsync marks a kind's cache as out of date: its watch ended.
func (s *Sink) unsync(gen int, k kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen == s.live.gen {
		delete(s.live.synced, k.kind)
	}
}

// see applies one watch event to the cache.
func (s *Sink) see(gen int, k kind, ev watch.Event) error {
	if ev.Type == watch.Error {
		return fmt.Errorf("watch of %s: %v", k.gvr.GroupResource(), ev.Object)
	}
	obj, ok := ev.Object.(*unstructured.Unstructured)
	if !ok {
		return nil
	}
	key := keyOf(k, obj.GetNamespace(), obj.GetName())
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.live.gen {
		return fmt.Errorf("the kubeconfig changed")
	}
	switch ev.Type {
	case watch.Added, watch.Modified:
		s.live.objs[key] = obj
	case watch.Deleted:
		delete(s.live.objs, key)
	}
	return nil
}
