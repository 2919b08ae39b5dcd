package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// parallelWrites is how many requests the sink has in flight at once. Objects of one rank do not
// refer to each other, so they go together; the next rank starts when the previous one is done.
const parallelWrites = 8

// writeAll makes the writes of the plan, rank by rank (deletes after applies), each rank's in
// parallel. It stops at the first failure of the cluster itself and returns the results so far.
func (s *Sink) writeAll(ctx context.Context, dyn dynamic.Interface, writes []change) ([]contract.ObjectResult, error) {
	var out []contract.ObjectResult
	for start := 0; start < len(writes); {
		end := start + 1
		for end < len(writes) && writes[end].kind.rank == writes[start].kind.rank && writes[end].op == opDelete == (writes[start].op == opDelete) {
			end++
		}
		res, err := s.writeWave(ctx, dyn, writes[start:end])
		out = append(out, res...)
		if err != nil {
			return out, err
		}
		start = end
	}
	return out, nil
}

// writeWave writes independent objects with up to parallelWrites requests in flight.
func (s *Sink) writeWave(ctx context.Context, dyn dynamic.Interface, wave []change) ([]contract.ObjectResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]contract.ObjectResult, len(wave))
	var (
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallelWrites, len(wave)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := s.write(ctx, dyn, wave[i])
				if err == nil {
					results[i] = r
					continue
				}
				// The first failure is the one to report; those after it are its cancellations.
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
feed:
	for i := range wave {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	var done []contract.ObjectResult
	for _, r := range results {
		if r.Outcome != "" {
			done = append(done, r)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = resilience.Transient(ctx.Err())
	}
	return done, firstErr
}

// write applies or deletes one object. An object the API server refuses (schema, conflict) is a
// result, so one bad object never blocks the others; a failure of the cluster itself is an error
// that stops the sync.
func (s *Sink) write(ctx context.Context, dyn dynamic.Interface, c change) (contract.ObjectResult, error) {
	res := contract.ObjectResult{Key: c.resource}
	ri := dyn.Resource(c.kind.gvr).Namespace(c.obj.GetNamespace())
	var err error
	if c.op == opDelete {
		uid := types.UID(c.uid)
		err = ri.Delete(ctx, c.obj.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			// Gone already, or replaced by an object fgd did not observe: not fgd's to delete.
			err = nil
		}
		res.Outcome = contract.ObjectDeleted
	} else {
		var applied *unstructured.Unstructured
		applied, err = ri.Apply(ctx, c.obj.GetName(), c.obj, metav1.ApplyOptions{FieldManager: s.opts.FieldManager, Force: s.opts.ForceConflicts})
		res.Outcome = contract.ObjectApplied
		if err == nil && c.hash != "" {
			// What the server answered is the manifest, applied: the next sync need not compare it.
			s.remember(c.key, c.hash, applied.GetResourceVersion())
		}
	}
	switch {
	case err == nil:
		return res, nil
	case apierrors.IsConflict(err):
		res.Outcome, res.Message = contract.ObjectConflict, err.Error()
		s.opts.Logger.Warn("server-side apply conflict", "resource", c.key, "err", err)
		return res, nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), isTypedPatchError(err):
		res.Outcome, res.Message = contract.ObjectRejected, err.Error()
		s.opts.Logger.Warn("the API server rejected a resource", "resource", c.key, "err", err)
		return res, nil
	case apierrors.IsNotFound(err):
		return res, missingKind(c.kind, err)
	}
	return res, classify(fmt.Errorf("%s %s: %w", c.op, c.key, err))
}

// isTypedPatchError tells a server-side apply of a value of the wrong type (a string where the
// schema wants a number) from a server failure: the API server answers it with a bare 500, but it
// is a property of the object and retrying cannot help.
func isTypedPatchError(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status) && status.Status().Code == http.StatusInternalServerError &&
		strings.Contains(status.Status().Message, "failed to create typed patch object")
}
