package reconciler_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
)

const gatewayDoc = `apiVersion: gateway.githedgehog.com/v1alpha1
kind: Gateway
metadata:
  name: gw-1
`

// The fabric's record lists the FGD's unmanaged files with the reasons of
// their sidecars, bounded, and re-reads them only when ingestion changed
// the FGD.
func TestUnmanagedFilesAreRecorded(t *testing.T) {
	lab, big := t.TempDir(), t.TempDir()
	write(t, filepath.Join(lab, "raw", "gateway.yaml"), gatewayDoc)
	write(t, filepath.Join(lab, "raw", "vpc.yaml"), vpcDoc("vpc-1"))
	write(t, filepath.Join(lab, "unmanaged", "by-hand.txt"), "left here by someone\n")
	write(t, filepath.Join(lab, "unmanaged", "broken.yaml"), "x: 1\n")
	write(t, filepath.Join(lab, "unmanaged", "broken.yaml.metadata"), "reasons: [\n")
	for i := range state.MaxUnmanagedListed + 5 {
		write(t, filepath.Join(big, "unmanaged", fmt.Sprintf("f%03d.yaml", i)), "x: 1\n")
	}

	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: lab, Hash: "1"}, reconciler.FabricSpec{Name: "big", Root: big, Hash: "2"})
	eventually(t, "first syncs", func() bool { return h.fabric("lab").Attempted && h.fabric("big").Attempted })

	f, _ := store.Fabric(nil, "lab")
	if f == nil || f.UnmanagedCount != 3 || len(f.Unmanaged) != 3 {
		t.Fatalf("lab's unmanaged files = %+v, want 3 (the gateway, broken.yaml, by-hand.txt)", f)
	}
	byPath := map[string][]string{}
	for _, u := range f.Unmanaged {
		byPath[u.Path] = u.Reasons
	}
	tests := []struct {
		path, reason string
	}{
		{"unmanaged/gateway.yaml", "document 0, line 2"},
		{"unmanaged/gateway.yaml", "Gateway"},
		{"unmanaged/by-hand.txt", "no by-hand.txt.metadata beside it"},
		{"unmanaged/broken.yaml", "is not valid YAML"},
	}
	for _, tt := range tests {
		if r := strings.Join(byPath[tt.path], "\n"); !strings.Contains(r, tt.reason) {
			t.Errorf("reasons of %s = %q, want %q in them", tt.path, r, tt.reason)
		}
	}

	b, _ := store.Fabric(nil, "big")
	if b == nil || b.UnmanagedCount != state.MaxUnmanagedListed+5 || len(b.Unmanaged) != state.MaxUnmanagedListed ||
		b.Unmanaged[0].Path != "unmanaged/f000.yaml" {
		t.Fatalf("big's unmanaged files: count %d, listed %d, want %d and %d from f000", b.UnmanagedCount, len(b.Unmanaged),
			state.MaxUnmanagedListed+5, state.MaxUnmanagedListed)
	}

	// A sync that changes nothing does not list the folder again; one that
	// ingests a file does.
	write(t, filepath.Join(lab, "unmanaged", "later.txt"), "x\n")
	syncAndWait(t, h, "lab")
	if f, _ := store.Fabric(nil, "lab"); f.UnmanagedCount != 3 {
		t.Errorf("after a sync that changed nothing, %d unmanaged files, want the cached 3", f.UnmanagedCount)
	}
	write(t, filepath.Join(lab, "raw", "vpc-2.yaml"), vpcDoc("vpc-2"))
	syncAndWait(t, h, "lab")
	if f, _ := store.Fabric(nil, "lab"); f.UnmanagedCount != 4 {
		t.Errorf("after a sync that ingested a file, %d unmanaged files, want 4", f.UnmanagedCount)
	}
}

// syncAndWait runs one sync of the fabric and waits for it to end.
func syncAndWait(t *testing.T, h *harness, name string) {
	t.Helper()
	before := h.fabric(name).Syncs
	if _, err := h.rec.SyncNow(name, reconciler.Trigger{Kind: "manual"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sync of "+name+" to end", func() bool { return h.fabric(name).Syncs > before })
}

// Fixing a rejected file and dropping it again retires its stale entry:
// the fabric's unmanaged count drops to 0 and an unmanaged_retired event
// names what moved to .hnp/archive/.
func TestFixedFileRetiresItsUnmanagedEntry(t *testing.T) {
	lab := t.TempDir()
	bad := strings.Replace(vpcDoc("vpc-1"), "spec:", "spec:\n  subnetz: {}", 1)
	write(t, filepath.Join(lab, "raw", "bad.yaml"), bad)
	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: lab, Hash: "1"})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	if f, _ := store.Fabric(nil, "lab"); f == nil || f.UnmanagedCount != 1 {
		t.Fatalf("after the rejection: %+v, want 1 unmanaged file", f)
	}

	write(t, filepath.Join(lab, "raw", "bad.yaml"), vpcDoc("vpc-1"))
	syncAndWait(t, h, "lab")
	if f, _ := store.Fabric(nil, "lab"); f.UnmanagedCount != 0 || len(f.Unmanaged) != 0 {
		t.Errorf("after the fix: %d unmanaged files %+v, want none", f.UnmanagedCount, f.Unmanaged)
	}
	evs, err := store.Events(nil, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range evs {
		if e.Type == state.EventUnmanagedRetired && fmt.Sprint(e.Data["files"]) == "[unmanaged/bad.yaml]" {
			found = true
		}
	}
	if !found {
		t.Errorf("no %s event naming unmanaged/bad.yaml among %d events", state.EventUnmanagedRetired, len(evs))
	}
}

// A sync with nothing to ingest reports the desired set as unchanged, not 0
// unchanged; one that ingests a file counts the rest as unchanged.
func TestSummaryCountsTheUnchangedDesiredSet(t *testing.T) {
	lab := t.TempDir()
	for _, n := range []string{"vpc-1", "vpc-2", "vpc-3"} {
		write(t, filepath.Join(lab, "raw", n+".yaml"), vpcDoc(n))
	}
	h := newHarness(t, reconciler.Options{Store: newStore(t)})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: lab, Hash: "1"})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	if s := h.fabric("lab").Last.Summary; s.Created != 3 || s.Unchanged != 0 {
		t.Errorf("first sync: %+v, want 3 created", s)
	}
	syncAndWait(t, h, "lab")
	if s := h.fabric("lab").Last.Summary; s.Created != 0 || s.Unchanged != 3 {
		t.Errorf("a sync with nothing new: %+v, want 3 unchanged", s)
	}
	write(t, filepath.Join(lab, "raw", "vpc-4.yaml"), vpcDoc("vpc-4"))
	syncAndWait(t, h, "lab")
	if s := h.fabric("lab").Last.Summary; s.Created != 1 || s.Unchanged != 3 {
		t.Errorf("a sync that ingests one: %+v, want 1 created, 3 unchanged", s)
	}
}

// A sync that changes a resource records its YAML diff; the daemon's first
// read of the desired set records none (it is no change).
func TestSyncRecordsResourceDiffs(t *testing.T) {
	lab := t.TempDir()
	write(t, filepath.Join(lab, "raw", "vpc-1.yaml"), vpcDoc("vpc-1"))
	write(t, filepath.Join(lab, "raw", "vpc-2.yaml"), vpcDoc("vpc-2"))
	store := newStore(t)
	h := newHarness(t, reconciler.Options{Store: store})
	h.apply(reconciler.FabricSpec{Name: "lab", Root: lab, Hash: "1"})
	eventually(t, "first sync", func() bool { return h.fabric("lab").Attempted })
	if c := h.fabric("lab").Last.Changes; len(c) != 0 {
		t.Errorf("the first read of the desired set recorded %d changes", len(c))
	}
	changed := strings.Replace(vpcDoc("vpc-1"), "1001", "1002", 1)
	if changed == vpcDoc("vpc-1") {
		t.Fatal("the test VPC has no vlan 1001 to change")
	}
	write(t, filepath.Join(lab, "raw", "vpc-1.yaml"), changed)
	write(t, filepath.Join(lab, "raw", "vpc-3.yaml"), vpcDoc("vpc-3"))
	syncAndWait(t, h, "lab")
	last := h.fabric("lab").Last
	if len(last.Changes) != 2 {
		t.Fatalf("changes %+v, want vpc-1 updated and vpc-3 created", last.Changes)
	}
	up, cr := last.Changes[0], last.Changes[1]
	if up.Name != "vpc-1" || up.Action != "update" || !strings.Contains(up.Diff, "-      vlan: 1001\n+      vlan: 1002\n") {
		t.Errorf("update: %+v", up)
	}
	if cr.Name != "vpc-3" || cr.Action != "create" || !strings.Contains(cr.Diff, "+  name: vpc-3\n") {
		t.Errorf("create: %+v", cr)
	}
	s, err := store.Sync(nil, last.ID)
	if err != nil || s == nil || len(s.Changes) != 2 {
		t.Errorf("the stored sync: %v, %+v", err, s)
	}
}
