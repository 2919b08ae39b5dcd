package reconciler

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resilience"
)

func TestDiskFullIsStalledWithARemediation(t *testing.T) {
	lab := &fabric{spec: FabricSpec{Name: "lab", Root: "/srv/fgd/lab"}}
	write := &os.PathError{Op: "write", Path: "/srv/fgd/lab/managed/vpcs/.fgd-tmp-1", Err: syscall.ENOSPC}
	tests := []struct {
		name      string
		err       error
		stalled   bool
		wantWhere string // in the remediation
	}{
		{"ENOSPC of a write, wrapped", fmt.Errorf("ingest /srv/fgd/lab: %w", write), true, "/srv/fgd/lab/managed/vpcs"},
		{"EDQUOT", &os.PathError{Op: "open", Path: "/var/lib/fgd/inventory/lab/x.json", Err: syscall.EDQUOT}, true, "/var/lib/fgd/inventory/lab"},
		{"rename", &os.LinkError{Op: "rename", Old: "/p/.tmp", New: "/p/current", Err: syscall.ENOSPC}, true, "/p"},
		{"transient, wrapping ENOSPC", resilience.Transient(write), true, "/srv/fgd/lab/managed/vpcs"},
		{"flattened to text", errors.New("git fetch file:///r.git: write pack: no space left on device"), true, "state_dir"},
		{"in a joined sink error", errors.Join(fmt.Errorf("sink directory-0: %w", write)), true, "/srv/fgd/lab/managed/vpcs"},
		{"another error", errors.New("connection refused"), false, ""},
		{"waiting stays waiting", resilience.Waiting(write, time.Second), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diskFull(lab, tt.err)
			if !errors.Is(got, tt.err) {
				t.Fatalf("diskFull lost the error: %v", got)
			}
			if stalled := resilience.ClassOf(got) == resilience.ClassStalled; stalled != tt.stalled {
				t.Fatalf("class %s, want stalled=%v", resilience.ClassOf(got), tt.stalled)
			}
			if !tt.stalled {
				if got != tt.err {
					t.Errorf("diskFull changed an error it does not classify: %v", got)
				}
				return
			}
			e, _ := errors.AsType[*resilience.Error](got)
			for _, want := range []string{"free space", tt.wantWhere, "fgd sync lab", "rescan"} {
				if !strings.Contains(e.Remediation, want) {
					t.Errorf("remediation %q does not say %q", e.Remediation, want)
				}
			}
		})
	}
	if diskFull(lab, nil) != nil {
		t.Error("diskFull(nil) != nil")
	}
	// A git fabric's next sync comes from a push, a webhook or fgd sync.
	dc1 := &fabric{spec: FabricSpec{Name: "dc1", Git: &GitSpec{}}}
	e, _ := errors.AsType[*resilience.Error](diskFull(dc1, write))
	if e == nil || !strings.Contains(e.Remediation, "fgd sync dc1") || !strings.Contains(e.Remediation, "push") || strings.Contains(e.Remediation, "rescan") {
		t.Errorf("git fabric's remediation = %+v", e)
	}
}

// A full disk never opens the circuit of the remote or sink it happened
// behind.
func TestDiskFullDoesNotOpenCircuits(t *testing.T) {
	lab := &fabric{spec: FabricSpec{Name: "lab"}}
	b := resilience.NewBreakers(resilience.BreakerOptions{Failures: 1, OpenFor: time.Hour})
	enospc := &os.PathError{Op: "write", Path: "/x/y", Err: syscall.ENOSPC}
	for range 3 {
		_ = b.Do("sink:lab/directory-0", func() error { return diskFull(lab, enospc) })
	}
	if s := b.State("sink:lab/directory-0"); s != resilience.BreakerClosed {
		t.Fatalf("circuit %s after disk-full failures, want closed", s)
	}
	// The same failure unclassified would have opened it.
	_ = b.Do("sink:lab/directory-0", func() error { return enospc })
	if s := b.State("sink:lab/directory-0"); s != resilience.BreakerOpen {
		t.Fatalf("circuit %s after a transient failure with Failures: 1, want open", s)
	}
}
