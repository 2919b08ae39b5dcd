package reconciler

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
)

// unsafeFile classifies a failure caused by a file fgd refused to read (a
// symlink, FIFO, device or oversized file where a sync had to read one) as
// stalled, naming the file: retrying cannot help until someone replaces
// it, and it stalls this fabric alone. Ingestion moves such files out of
// the way wherever it can, so this is rare (one swapped in mid-sync, or in
// state_dir). Other errors are returned as they are.
func unsafeFile(err error) error {
	ue, ok := errors.AsType[*fgd.UnsafeFileError](err)
	if !ok {
		return err
	}
	if e, ok := errors.AsType[*resilience.Error](err); ok && e.Class != resilience.ClassTransient {
		return err
	}
	return resilience.Stalled(err, fmt.Sprintf("replace %s with a regular file or remove it: fgd never reads symlinks, "+
		"FIFOs or devices, nor files over their size limit; then run fgd sync", ue.Path))
}

// onlyFabricKinds refuses a desired set holding anything but the 12
// Hedgehog kinds, each from its own kind folder, before any sink sees it.
// The desired set is validated as it is read from managed/ (ReadManaged);
// this is the last check where the sinks are fed, so a flaw anywhere
// before it still cannot send another API's object to a cluster.
func onlyFabricKinds(desired []*state.Resource) error {
	for _, res := range desired {
		group, _, _ := strings.Cut(res.Key, "/")
		k, ok := resource.LookupKind(group, res.Kind)
		if !ok || path.Dir(res.Path) != path.Join(fgd.ManagedDir, k.Dir) {
			return resilience.Stalled(fmt.Errorf("the desired set holds %s from %s, which is not a Hedgehog fabric resource of that folder: no sink was given anything", res.Key, res.Path),
				"this is a bug (please report it); move the file out of managed/ and run fgd sync")
		}
	}
	return nil
}
