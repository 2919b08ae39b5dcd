package reconciler_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/reconciler"
)

// A dir fabric's start is one sync, asked for by its watcher once it
// watches, and that sync takes every file present at start: neither the
// reconciler's own start nor a spent wake adds a second one.
func TestStartupIsOneSync(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"vpc-1", "vpc-2", "vpc-3"} {
		if err := os.MkdirAll(filepath.Join(root, "raw"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "raw", name+".yaml"), []byte(vpcDoc(name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var syncs []reconciler.SyncStatus
	done := make(chan reconciler.SyncStatus, 16)
	h := newHarness(t, reconciler.Options{OnSyncEnd: func(st reconciler.SyncStatus) { done <- st }})
	h.apply(dirSpec("lab", root))
	select {
	case st := <-done:
		syncs = append(syncs, st)
	case <-time.After(time.Minute):
		t.Fatal("no sync within a minute of the start")
	}
	// A second sync would follow at once; give it ample time to show
	// (20 times the test fabric's debounce).
	time.Sleep(time.Second)
	for len(done) > 0 {
		syncs = append(syncs, <-done)
	}
	if len(syncs) != 1 {
		for _, st := range syncs {
			t.Logf("sync %s: triggers %+v, %d files", st.ID, st.Triggers, st.Summary.Files)
		}
		t.Fatalf("%d syncs at start, want one", len(syncs))
	}
	st := syncs[0]
	if len(st.Triggers) != 1 || st.Triggers[0].Kind != "startup" {
		t.Errorf("startup sync triggers = %+v, want one startup", st.Triggers)
	}
	if st.Summary.Files != 3 {
		t.Errorf("the startup sync took %d files, want 3", st.Summary.Files)
	}
}

// A file held open for writing when the fabric starts is left in place by
// the startup sync, and taken once its writer closed it, although closing
// it makes no change event: the fabric looks again by itself.
func TestFileHeldAtStartIsTakenOnceClosed(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc-1.yaml")
	if err := os.MkdirAll(filepath.Dir(raw), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(vpcDoc("vpc-1")); err != nil {
		t.Fatal(err)
	}
	done := make(chan reconciler.SyncStatus, 64)
	h := newHarness(t, reconciler.Options{OnSyncEnd: func(st reconciler.SyncStatus) { done <- st }})
	h.apply(dirSpec("lab", root))
	select {
	case st := <-done:
		if st.Summary.Files != 0 {
			t.Fatalf("the startup sync took %d files, want the held one left alone", st.Summary.Files)
		}
	case <-time.After(time.Minute):
		t.Fatal("no sync within a minute of the start")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	managed := filepath.Join(root, "managed", "vpcs", "vpc-1.yaml")
	eventually(t, "vpc-1 ingested once its writer closed it", func() bool {
		_, err := os.Stat(managed)
		return err == nil
	})
}
