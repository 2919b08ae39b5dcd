package kubernetes

import (
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/fgdproject/fgd/internal/resilience"
)

// classify says what the reconciler does next after a request failed for the whole cluster (not
// one object): a refused connection, a timeout or a 5xx are transient; a 429 waits as long as its
// Retry-After asks; bad credentials or missing rights stall until the configuration changes.
func classify(err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return resilience.Stalled(err, "the cluster refused the credentials of kubeconfig_file: renew them")
	case apierrors.IsForbidden(err):
		return resilience.Stalled(err, "the kubeconfig's user may not manage Hedgehog resources: grant it (RBAC)")
	case apierrors.IsTooManyRequests(err):
		if secs, ok := apierrors.SuggestsClientDelay(err); ok && secs > 0 {
			return resilience.Waiting(err, time.Duration(secs)*time.Second)
		}
	}
	return resilience.Transient(err)
}

// missingKind is the error of a list or apply whose kind the cluster does not serve.
func missingKind(k kind, err error) error {
	return resilience.Stalled(fmt.Errorf("the cluster does not serve %s (%s): %w", k.kind, k.gvr.GroupResource(), err),
		"install the Hedgehog CRDs in the cluster")
}
