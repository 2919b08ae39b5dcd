package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

const settleVPC = testdocs.VPCFormat

func vpcNamed(name string) []byte { return []byte(strings.Replace(settleVPC, "%s", name, 1)) }

// A file written a moment ago may still be in the writer's hands: with
// Settle it waits for the next run instead of being read half-done.
func TestSettleDefersFreshFiles(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc.yaml")
	write(t, raw, vpcNamed("vpc-1"))

	rep := run(t, root, Options{Settle: time.Hour})
	if len(rep.Deferred) != 1 || rep.Deferred[0].Path != "raw/vpc.yaml" {
		t.Fatalf("deferred = %+v, want raw/vpc.yaml", rep.Deferred)
	}
	if _, err := os.Stat(raw); err != nil {
		t.Fatalf("a deferred file was moved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "managed/vpcs/vpc-1.yaml")); err == nil {
		t.Fatal("a deferred file was ingested")
	}

	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(raw, old, old); err != nil {
		t.Fatal(err)
	}
	rep = run(t, root, Options{Settle: time.Second})
	if len(rep.Deferred) != 0 || rep.Created != 1 {
		t.Fatalf("settled file: deferred %+v, created %d; want it ingested", rep.Deferred, rep.Created)
	}
}

// A writer that changes the file while a run reads it must not lose its
// newer content: the original stays in raw/ for the next run.
func TestFileChangedDuringRunIsKept(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "raw", "vpc.yaml")
	write(t, raw, vpcNamed("vpc-1"))

	rep := run(t, root, Options{beforeRemove: func() {
		if err := os.WriteFile(raw, vpcNamed("vpc-2"), 0o644); err != nil {
			t.Error(err)
		}
	}})
	if len(rep.Deferred) != 1 || !strings.Contains(rep.Deferred[0].Reason, "changed while") {
		t.Fatalf("deferred = %+v, want raw/vpc.yaml changed while being ingested", rep.Deferred)
	}
	got, err := os.ReadFile(raw)
	if err != nil || !strings.Contains(string(got), "vpc-2") {
		t.Fatalf("the newer content was lost: %q, %v", got, err)
	}
	rep = run(t, root, Options{})
	if _, err := os.Stat(filepath.Join(root, "managed/vpcs/vpc-2.yaml")); err != nil {
		t.Fatalf("the newer content was not ingested on the next run: %v", err)
	}
	if _, err := os.Stat(raw); err == nil {
		t.Fatal("raw/vpc.yaml stranded after the second run")
	}
}
