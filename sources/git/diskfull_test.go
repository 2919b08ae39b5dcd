package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fgdproject/fgd/sources/git"
)

// A go-git write that fails in a running daemon (a full disk) leaves its
// temp files, and a pack whose saving failed leaves its index without the
// pack; Do removes them after a failed fn (before, only a restart removed the
// temp files, and nothing the index, which broke every later read of the
// clone). After a successful fn there is nothing to do.
func TestDoRemovesTempFilesOfFailedWrites(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	o := e.options()
	r := e.open(o)
	do(t, r, update)
	pack := filepath.Join(o.Dir, ".git", "objects", "pack")
	left := []string{
		filepath.Join(pack, "tmp_obj_4242"),  // a loose object go-git gave up on
		filepath.Join(pack, "tmp_pack_4242"), // a pack it gave up on
		// the cut index of a pack whose saving failed
		filepath.Join(pack, "pack-0123456789abcdef0123456789abcdef01234567.idx"),
	}
	plant := func() {
		for _, p := range left {
			if err := os.WriteFile(p, []byte("half written"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	plant()
	do(t, r, update)
	for _, p := range left {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("a successful Do touched %s: %v", filepath.Base(p), err)
		}
	}
	full := errors.New("write tmp_obj_4242: no space left on device")
	if err := r.Do(context.Background(), func(context.Context, *git.Worktree) error { return full }); !errors.Is(err, full) {
		t.Fatalf("Do = %v, want fn's error", err)
	}
	for _, p := range left {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after a failed Do: %v", filepath.Base(p), err)
		}
	}
	packs, _ := filepath.Glob(filepath.Join(pack, "pack-*.idx"))
	if len(packs) == 0 {
		t.Error("the indexes of the clone's real packs were removed too")
	}
	// The clone, opened afresh, still works.
	e.remote.Change(t, "someone else's change", map[string]string{"dc1/raw/vpc-9.yaml": "kind: VPC\n"}, nil)
	do(t, r, update)
	if got := readFile(t, filepath.Join(o.Dir, "dc1", "raw", "vpc-9.yaml")); got != "kind: VPC\n" {
		t.Errorf("after the failed Do, dc1/raw/vpc-9.yaml = %q", got)
	}
}
