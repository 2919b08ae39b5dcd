package reconciler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
)

// TestLocalFailureIsNotTheRemotes: a file-system error about one of the
// FGD's files (a name too long, permission denied, a folder where a file
// must be, …) is never classed as a transient failure, the class a remote's
// circuit breaker counts: five of them in a row leave the remote's circuit
// closed, where five transient failures open it.
func TestLocalFailureIsNotTheRemotes(t *testing.T) {
	dc1 := &fabric{spec: FabricSpec{Name: "dc1", Git: &GitSpec{}}}
	file := "/var/lib/fgd/git/abc/dc1/managed/vpcs/x.yaml"
	pathErr := func(op string, errno syscall.Errno) error {
		return fmt.Errorf("ingest /var/lib/fgd/git/abc/dc1: %w", &os.PathError{Op: op, Path: file, Err: errno})
	}
	tests := []struct {
		name  string
		err   error
		class resilience.Class
		fix   string // in the remediation of a stalled error
	}{
		{"ENAMETOOLONG", pathErr("lstat", syscall.ENAMETOOLONG), resilience.ClassStalled, "shorten the name of " + file},
		{"EACCES", pathErr("open", syscall.EACCES), resilience.ClassStalled, "read and write access to " + file},
		{"EPERM", pathErr("rename", syscall.EPERM), resilience.ClassStalled, "read and write access to " + file},
		{"EROFS", pathErr("open", syscall.EROFS), resilience.ClassStalled, "ReadWritePaths="},
		{"EISDIR", pathErr("open", syscall.EISDIR), resilience.ClassStalled, "move away what stands at " + file},
		{"ENOSPC", pathErr("write", syscall.ENOSPC), resilience.ClassStalled, "free space"},
		{"rename over a folder", &os.LinkError{Op: "rename", Old: "/x/.fgd-tmp-1", New: file, Err: syscall.EISDIR}, resilience.ClassStalled, file},
		{"a lock held too long", errors.New("fgd: /srv/fgd/dc1 is locked by another fgd (pid 7)"), resilience.ClassWaiting, ""},
		{"transient, wrapping EACCES", resilience.Transient(pathErr("open", syscall.EACCES)), resilience.ClassStalled, file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := localFailure(dc1, tt.err)
			if !errors.Is(got, tt.err) {
				t.Fatalf("localFailure lost the error: %v", got)
			}
			if c := resilience.ClassOf(got); c != tt.class {
				t.Fatalf("class %s, want %s", c, tt.class)
			}
			if tt.fix != "" {
				e, _ := errors.AsType[*resilience.Error](got)
				if !strings.Contains(e.Remediation, tt.fix) || !strings.Contains(e.Remediation, "fgd sync dc1") {
					t.Errorf("remediation %q does not say %q and fgd sync dc1", e.Remediation, tt.fix)
				}
			}
			br := resilience.NewBreakers(resilience.BreakerOptions{Failures: 5, OpenFor: time.Hour})
			for range 5 {
				_ = br.Do("git:remote", func() error { return got })
			}
			if s := br.State("git:remote"); s != resilience.BreakerClosed {
				t.Fatalf("five local failures left the remote's circuit %v", s)
			}
		})
	}
	// The control: five transient (network) failures do open it.
	br := resilience.NewBreakers(resilience.BreakerOptions{Failures: 5, OpenFor: time.Hour})
	for range 5 {
		_ = br.Do("git:remote", func() error { return resilience.Transient(errors.New("connection reset")) })
	}
	if s := br.State("git:remote"); s != resilience.BreakerOpen {
		t.Fatalf("five transient failures left the circuit %v", s)
	}
	for _, err := range []error{nil, context.Canceled, resilience.Waiting(errors.New("x"), time.Second)} {
		if got := localFailure(dc1, err); got != err {
			t.Errorf("localFailure(%v) = %v, want it unchanged", err, got)
		}
	}
}
