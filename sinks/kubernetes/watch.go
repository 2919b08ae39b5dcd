package kubernetes

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// Watch watches the fabric's labelled objects of every kind and asks for a sync (trigger kind
// "watch") when someone other than fgd changes or deletes one, so drift is found within moments
// rather than at the next sync. It returns when ctx is done; a failed or closed watch is started
// again after a pause that grows to 30 s.
func (s *Sink) Watch(ctx context.Context, trigger func(contract.Trigger)) error {
	var wg sync.WaitGroup
	for _, k := range kinds() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.watchKind(ctx, k, trigger)
		}()
	}
	wg.Wait()
	return nil
}

func (s *Sink) watchKind(ctx context.Context, k kind, trigger func(contract.Trigger)) {
	pause := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := s.watchOnce(ctx, k, trigger)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			pause = time.Second
		}
		if err != nil {
			s.opts.Logger.Debug("watch ended, starting again", "kind", k.kind, "retry_in", pause.String(), "err", err)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// watchOnce lists to learn where to start, then watches from there until the watch ends.
func (s *Sink) watchOnce(ctx context.Context, k kind, trigger func(contract.Trigger)) error {
	dyn, gen, err := s.clientGen()
	if err != nil {
		return err
	}
	sel := LabelFabric + "=" + s.opts.Fabric
	defer s.unsync(gen, k)
	rv, err := s.listKind(ctx, dyn, gen, k, sel)
	if err != nil {
		return err
	}
	w, err := dyn.Resource(k.gvr).Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv})
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("the watch of %s closed", k.gvr.GroupResource())
			}
			if err := s.see(gen, k, ev); err != nil {
				return err
			}
			if detail, ok := s.foreignChange(k, ev); ok {
				trigger(contract.Trigger{Kind: contract.TriggerWatch, Detail: detail})
			}
		}
	}
}

// foreignChange says whether an event is someone else's change, and describes it. A deletion
// always is (fgd's own prunes cost one sync that finds nothing to do); a change is when the
// newest entry of managedFields, status left aside, is not fgd's apply.
func (s *Sink) foreignChange(k kind, ev watch.Event) (string, bool) {
	obj, ok := ev.Object.(*unstructured.Unstructured)
	if !ok {
		return "", false
	}
	what := fmt.Sprintf("%s %s/%s", k.kind, obj.GetNamespace(), obj.GetName())
	switch ev.Type {
	case watch.Deleted:
		return what + " deleted", true
	case watch.Added, watch.Modified:
		var newest *metav1.ManagedFieldsEntry
		mfs := obj.GetManagedFields()
		for i := range mfs {
			mf := &mfs[i]
			if mf.Subresource != "" || mf.Time == nil {
				continue
			}
			// On a tie (times have one-second resolution) another manager's entry wins: a
			// needless sync is cheap, a missed change is not.
			if newest == nil || mf.Time.After(newest.Time.Time) || mf.Time.Equal(newest.Time) && s.ours(*newest) {
				newest = mf
			}
		}
		if newest != nil && !s.ours(*newest) {
			return fmt.Sprintf("%s changed by %s", what, newest.Manager), true
		}
	}
	return "", false
}

func (s *Sink) ours(mf metav1.ManagedFieldsEntry) bool {
	return mf.Manager == s.opts.FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply
}
