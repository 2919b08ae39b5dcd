// Package kubernetes is the sink that applies a fabric's desired set to the fabric's Kubernetes
// API with server-side apply, reads the live objects back to find drift, and prunes what fgd
// applied earlier and no longer wants.
package kubernetes

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"k8s.io/client-go/dynamic"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// Options configure a Sink.
type Options struct {
	// Fabric is the fabric's name, the value of the ownership label.
	Fabric string
	// KubeconfigFile is read at every sync; Context selects one of its contexts ("" is its
	// current context).
	KubeconfigFile, Context string
	// Namespace is given to resources whose document names none.
	Namespace string
	// FieldManager is the server-side apply field manager.
	FieldManager string
	// ForceConflicts takes back fields another manager set; without it such an object is
	// reported as a conflict and left alone.
	ForceConflicts bool
	// DetectOnly reports what differs and changes nothing.
	DetectOnly bool
	Logger     *slog.Logger
}

// Sink applies to one cluster. It is safe for concurrent use.
type Sink struct {
	opts Options

	mu            sync.Mutex
	dyn           dynamic.Interface
	kubeconfigSum [32]byte
	live          liveCache
	memo          memo
}

var (
	_ contract.Sink     = (*Sink)(nil)
	_ contract.Observer = (*Sink)(nil)
)

// New checks opts and returns a sink. The kubeconfig is read at the first sync, so a cluster that
// is not there yet does not keep fgd from starting.
func New(opts Options) (*Sink, error) {
	switch {
	case opts.Fabric == "":
		return nil, errors.New("kubernetes sink: no fabric name")
	case opts.KubeconfigFile == "":
		return nil, errors.New("kubernetes sink: kubeconfig_file is required")
	case opts.FieldManager == "":
		return nil, errors.New("kubernetes sink: field_manager is required")
	case opts.Namespace == "":
		return nil, errors.New("kubernetes sink: namespace is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sink{opts: opts}, nil
}

// Apply compares req.Desired with the live objects and applies only what differs, so a sync with
// nothing changed writes nothing. req.Changes.Delete, fgd's inventory of what it applied and no
// longer wants, is deleted where the live object carries the fabric's label. With DetectOnly each
// difference is that object's outcome (drift) and nothing is written.
func (s *Sink) Apply(ctx context.Context, req contract.Request) (contract.Outcome, error) {
	dyn, err := s.client()
	if err != nil {
		return contract.Outcome{}, err
	}
	live := s.cachedLive()
	if live == nil {
		if live, err = s.observe(ctx, dyn); err != nil {
			return contract.Outcome{}, err
		}
	}
	plan, err := s.plan(req.Desired, live, req.Changes.Delete)
	if err != nil {
		return contract.Outcome{}, err
	}
	var out contract.Outcome
	var writes []change
	for _, c := range plan {
		switch {
		case c.op == opUnchanged:
			out.Objects = append(out.Objects, contract.ObjectResult{Key: c.resource, Outcome: contract.ObjectUnchanged})
		case s.opts.DetectOnly:
			out.Objects = append(out.Objects, contract.ObjectResult{Key: c.resource, Outcome: contract.ObjectDrift, Message: c.describe()})
		default:
			writes = append(writes, c)
		}
	}
	results, err := s.writeAll(ctx, dyn, writes)
	out.Objects = append(out.Objects, results...)
	return out, err
}
