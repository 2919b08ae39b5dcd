package reconciler

import (
	"errors"
	"fmt"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resilience"
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
