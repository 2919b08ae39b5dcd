package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDemoFabric checks examples/demo-fabric does what its README says:
// every file but the stub is ingested, the stub goes to unmanaged/.
func TestDemoFabric(t *testing.T) {
	src := "../../examples/demo-fabric/raw"
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(root, "raw", e.Name()), b)
	}
	rep := run(t, root, Options{Fabric: "demo"})
	for _, f := range rep.Files {
		want := OutcomeIngested
		if f.Path == "raw/switchgroup-stub.yaml" {
			want = OutcomeUnmanaged
		}
		if f.Outcome != want {
			t.Errorf("%s: %s, want %s (%v)", f.Path, f.Outcome, want, f.Reasons)
		}
	}
	if len(rep.Files) != len(es) || rep.Created < 10 || len(rep.Conflicts) != 0 {
		t.Errorf("files %d, created %d, conflicts %+v", len(rep.Files), rep.Created, rep.Conflicts)
	}
	if _, err := os.Stat(filepath.Join(root, "unmanaged/switchgroup-stub.yaml.metadata")); err != nil {
		t.Error(err)
	}
}
