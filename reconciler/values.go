package reconciler

import (
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// resourceOf is the sink's view of a stored resource: a plain value whose
// Body is the store's slice (the store never changes a resource's bytes in
// place, it replaces the resource), so handing it out costs no copy.
func resourceOf(r *state.Resource) contract.Resource {
	return contract.Resource{Key: r.Key, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Path: r.Path, Hash: r.Hash, Body: r.Body}
}

// resourcesOf converts a stored list, keeping its order.
func resourcesOf(rs []*state.Resource) []contract.Resource {
	out := make([]contract.Resource, len(rs))
	for i, r := range rs {
		out[i] = resourceOf(r)
	}
	return out
}

// changesOf is the sink's view of a stored diff; a deleted item is the
// manifest fgd last applied.
func changesOf(d state.Diff) contract.Diff {
	out := contract.Diff{Create: resourcesOf(d.Create), Update: resourcesOf(d.Update), Unchanged: d.Unchanged}
	if len(d.Delete) > 0 {
		out.Delete = make([]contract.Resource, len(d.Delete))
		for i, it := range d.Delete {
			out.Delete[i] = contract.Resource{Key: it.Key, Hash: it.Hash, Body: it.Body}
		}
	}
	return out
}
