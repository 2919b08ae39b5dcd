package reconciler_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/testutil/testlog"
	"github.com/fgdproject/fgd/reconciler"
)

// A sync that failed for a transient reason is run again by the fabric
// itself, with no trigger from its source (a git branch that did not move
// would never give one); a stalled failure is not, it needs a human.
func TestFailedSyncIsRetriedByItself(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	calls := filepath.Join(work, "calls")
	// Fails its first 3 runs (the whole first sync), then succeeds.
	script := fmt.Sprintf(`cat >/dev/null; echo x >> %[1]s; n=$(wc -l < %[1]s); if [ "$n" -le 3 ]; then echo "down $n" >&2; exit 3; fi`, calls)
	write(t, filepath.Join(root, "raw", "vpcs.yaml"), vpcDoc("vpc-1"))
	var logs testlog.Buffer
	h := newHarness(t, reconciler.Options{Store: newStore(t), StateDir: t.TempDir(), Backoff: fastRetries,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{execSink(t, "exec-0", script)}})

	eventually(t, "a sync to complete without any new trigger", func() bool {
		l := h.fabric("lab").Last
		return l != nil && l.State == reconciler.StateCompleted
	})
	last := h.fabric("lab").Last
	var kinds []string
	for _, tr := range last.Triggers {
		kinds = append(kinds, string(tr.Kind))
	}
	if !slices.Contains(kinds, "retry") {
		t.Errorf("the completing sync's triggers are %v, want a retry", kinds)
	}
	if n := countLines(calls); n != 4 {
		t.Errorf("the command ran %d times, want 4 (3 failed attempts, then the retry)", n)
	}
	if !strings.Contains(logs.String(), `msg="failed sync will be retried"`) {
		t.Errorf("no log line announces the retry:\n%s", logs.String())
	}

	// A stalled failure (the FGD is gone) schedules no retry.
	logs.Reset()
	h.apply(reconciler.FabricSpec{Name: "gone", Root: filepath.Join(work, "no-such-fgd"), Hash: "2"})
	eventually(t, "the missing FGD's sync to fail", func() bool {
		f := h.fabric("gone")
		return f.Attempted && f.Last != nil && f.Last.State == reconciler.StateFailed
	})
	if cl := h.fabric("gone").Last.ErrorClass; cl != "stalled" {
		t.Fatalf("a missing FGD failed as %q, want stalled", cl)
	}
	if strings.Contains(logs.String(), `fabric=gone msg="failed sync will be retried"`) ||
		strings.Contains(logs.String(), `msg="failed sync will be retried" fabric=gone`) {
		t.Errorf("a stalled failure was scheduled for a retry:\n%s", logs.String())
	}
}
