package reconciler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fgdproject/fgd/internal/resilience"
)

// diskFull classifies a failure caused by a full filesystem (ENOSPC) or an
// exhausted disk quota (EDQUOT) as stalled, with a remediation naming the
// place. Retrying within the sync cannot help: space comes back when someone
// frees it. And the failure says nothing about the fabric's remote or sink:
// counted by their circuit breakers, it would open them, replace the message
// with "circuit open" and hold the recovery back for up to a minute after
// space is freed. Other errors, and ones already classified as stalled or
// waiting, are returned as they are.
func diskFull(f *fabric, err error) error {
	if err == nil || !isDiskFull(err) {
		return err
	}
	if e, ok := errors.AsType[*resilience.Error](err); ok && e.Class != resilience.ClassTransient {
		return err
	}
	free := "free space on the filesystems fgd writes to (the FGD, state_dir, the sinks' paths) or enlarge them"
	if p := errPath(err); p != "" {
		dir := filepath.Dir(p)
		free = fmt.Sprintf("free space on the filesystem that holds %s (df -h %s) or enlarge it", dir, dir)
	}
	// Say what runs the next sync: a failed one is not repeated on a timer.
	next := "a change in the FGD, or its next rescan while raw/ still holds files,"
	if f.spec.Git != nil {
		next = "a push to the branch or its webhook"
	}
	return resilience.Stalled(err, fmt.Sprintf("%s; then run fgd sync %s (%s also starts the sync that finishes what this one started)",
		free, f.spec.Name, next))
}

// isDiskFull reports whether err comes from a full filesystem or quota.
func isDiskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	// Libraries may flatten the errors they wrap into text, and a sink
	// command's failure is only text.
	msg := err.Error()
	return strings.Contains(msg, syscall.ENOSPC.Error()) || strings.Contains(msg, syscall.EDQUOT.Error())
}

// errPath returns the file a failed operation was writing, or "".
func errPath(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Path
	}
	if le, ok := errors.AsType[*os.LinkError](err); ok {
		return le.New
	}
	return ""
}
