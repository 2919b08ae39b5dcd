package dir

import (
	"errors"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// NewFabricSource returns the constructor of the source of a fabric whose
// FGD is root (the reconciler's FabricSpec.NewSource): a Watcher whose
// triggers reach the reconciler named by their reason. The git source
// offers the same (git.Hub.NewFabricSource).
func NewFabricSource(root string, opts Options) (contract.NewSource, error) {
	if root == "" {
		return nil, errors.New("dir source: the FGD path is empty (source.dir.path in the config)")
	}
	return func(trigger func(contract.Trigger), _ func(error)) (contract.Source, error) {
		w, err := New(root, func(reason string) { trigger(contract.Trigger{Kind: contract.TriggerKind(reason)}) }, opts)
		if err != nil {
			return nil, err
		}
		return w, nil
	}, nil
}
