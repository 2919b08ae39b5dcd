package reconciler

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/fgdproject/fgd/internal/resilience"
)

// localFailure classifies a failure of fgd's own files (the FGD, a git
// working tree): it says nothing about the fabric's remote or sinks, so it
// is never left transient. A transient failure counts against the circuit
// breaker of the remote, which the fabrics of one repository share: a file
// of one fabric would hold back the others. A file-system error that needs
// a human (permissions, a read-only mount, a name too long, something
// standing where a file or folder must be) stalls the fabric with the path
// and the fix; a full disk is diskFull's; anything else waits and retries
// (a lock another fgd held too long, a file changing under fgd). Errors
// already classified other than transient, and cancellations, are returned
// as they are.
func localFailure(f *fabric, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e, ok := errors.AsType[*resilience.Error](err); ok && e.Class != resilience.ClassTransient {
		return err
	}
	if isDiskFull(err) {
		return diskFull(f, err)
	}
	if fix := localFix(err); fix != "" {
		return resilience.Stalled(err, fmt.Sprintf("%s; then run fgd sync %s", fix, f.spec.Name))
	}
	return resilience.Waiting(err, 0)
}

// localFix names what an operator changes for a file-system error that
// retrying cannot mend, or returns "".
func localFix(err error) string {
	where := errPath(err)
	if where == "" {
		where = "the file named in the error"
	}
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Sprintf("give the fgd user read and write access to %s", where)
	case errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("make %s writable (under systemd, add it to ReadWritePaths=)", where)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return fmt.Sprintf("shorten the name of %s", where)
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.ELOOP):
		return fmt.Sprintf("move away what stands at %s (a folder, file or symlink where fgd needs the other)", where)
	}
	return ""
}
