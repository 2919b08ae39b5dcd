package reconciler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
)

// TestDirectorySinkDriftByObservation: the reconciler compares the desired
// set with the published tree itself, so whatever makes the live tree
// differ from it is drift, reported and repaired: a file edited or deleted
// by hand, and the current symlink turned back by hand to an older tree,
// whose files are all as fgd once wrote them.
func TestDirectorySinkDriftByObservation(t *testing.T) {
	root, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(root, "raw", "a.yaml"), vpcDoc("vpc-a"))
	write(t, filepath.Join(root, "raw", "b.yaml"), vpcDoc("vpc-b"))
	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store, StateDir: t.TempDir(), Backoff: fastRetries})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: root, Hash: "1", Sinks: []reconciler.SinkSpec{publisher(t, out, true, false, false)}})
	published := func(name string) string { return filepath.Join(out, "current", "vpcs", name+".yaml") }
	managed := func(name string) string { return filepath.Join(root, "managed", "vpcs", name+".yaml") }
	eventually(t, "first sync", func() bool { return exists(published("vpc-a")) && exists(published("vpc-b")) })
	older, err := os.Readlink(filepath.Join(out, "current"))
	if err != nil {
		t.Fatal(err)
	}

	write(t, filepath.Join(root, "raw", "a.yaml"), strings.Replace(vpcDoc("vpc-a"), "10.0.1.0/24", "10.0.2.0/24", 1))
	last := syncNow(t, h)
	if last.Sinks[0].Drift != 0 || !strings.Contains(read(t, published("vpc-a")), "10.0.2.0/24") {
		t.Fatalf("a change of the FGD: %+v, published vpc-a:\n%s", last.Sinks[0], read(t, published("vpc-a")))
	}

	key := func(name string) string { return "vpc.githedgehog.com/VPC/default/" + name }
	for _, tc := range []struct {
		name, drift string
		tamper      func(t *testing.T)
	}{
		{"current turned back to an older tree", "update " + key("vpc-a"), func(t *testing.T) {
			tmp := filepath.Join(out, "rollback")
			if err := os.Symlink(older, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(out, "current")); err != nil {
				t.Fatal(err)
			}
		}},
		{"file edited by hand", "update " + key("vpc-b"), func(t *testing.T) {
			write(t, published("vpc-b"), "hand edit\n")
		}},
		{"file deleted by hand", "create " + key("vpc-a"), func(t *testing.T) {
			if err := os.Remove(published("vpc-a")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.tamper(t)
			last := syncNow(t, h)
			if s := last.Sinks[0]; s.Drift != 1 || s.Status == "failed" {
				t.Errorf("sink %+v, want one drifted resource", s)
			}
			if got := driftEvent(t, store, last.ID); got != fmt.Sprint([]string{tc.drift}) {
				t.Errorf("drift_detected names %s, want [%s]", got, tc.drift)
			}
			for _, name := range []string{"vpc-a", "vpc-b"} {
				if got, want := read(t, published(name)), read(t, managed(name)); got != want {
					t.Errorf("%s not repaired: published\n%s\nwant\n%s", name, got, want)
				}
			}
		})
	}
}

// syncNow runs an operator's sync of fabric lab and returns it, finished.
func syncNow(t *testing.T, h *harness) reconciler.SyncStatus {
	t.Helper()
	var id string
	eventually(t, "the sync to be accepted", func() bool {
		var err error
		id, err = h.rec.SyncNow("lab", reconciler.Trigger{Kind: "api", Detail: "test"})
		return err == nil // refused while another sync finishes
	})
	eventually(t, "the sync", func() bool { l := h.fabric("lab").Last; return l != nil && l.ID == id && l.State.Terminal() })
	last := *h.fabric("lab").Last
	if last.State != reconciler.StateCompleted || len(last.Sinks) != 1 {
		t.Fatalf("sync %s: %s %s, sinks %+v", id, last.State, last.Error, last.Sinks)
	}
	return last
}

// driftEvent returns the drift a sync's drift_detected event names, "" without one.
func driftEvent(t *testing.T, store *state.Store, syncID string) string {
	t.Helper()
	evs, err := store.Events(nil, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == state.EventDriftDetected && e.Data["sync_id"] == syncID {
			return fmt.Sprint(e.Data["drift"])
		}
	}
	return ""
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
