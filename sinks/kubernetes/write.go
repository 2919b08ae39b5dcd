package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/fgdproject/fgd/reconciler"
)

// write applies or deletes one object. An object the API server refuses (schema, conflict) is a
// result, so one bad object never blocks the others; a failure of the cluster itself is an error
// that stops the sync.
func (s *Sink) write(ctx context.Context, dyn dynamic.Interface, c change) (reconciler.ObjectResult, error) {
	res := reconciler.ObjectResult{Key: c.key}
	ri := dyn.Resource(c.kind.gvr).Namespace(c.obj.GetNamespace())
	var err error
	if c.op == opDelete {
		uid := types.UID(c.uid)
		err = ri.Delete(ctx, c.obj.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			// Gone already, or replaced by an object fgd did not observe: not fgd's to delete.
			err = nil
		}
		res.Outcome = reconciler.ObjectDeleted
	} else {
		_, err = ri.Apply(ctx, c.obj.GetName(), c.obj, metav1.ApplyOptions{FieldManager: s.opts.FieldManager, Force: s.opts.ForceConflicts})
		res.Outcome = reconciler.ObjectApplied
	}
	switch {
	case err == nil:
		return res, nil
	case apierrors.IsConflict(err):
		res.Outcome, res.Message = reconciler.ObjectConflict, err.Error()
		s.opts.Logger.Warn("server-side apply conflict", "resource", c.key, "err", err)
		return res, nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), isTypedPatchError(err):
		res.Outcome, res.Message = reconciler.ObjectRejected, err.Error()
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
