package directory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestAtomicSwap: a reader that follows current while Apply publishes N
// revisions always finds one complete tree: every file of one revision,
// nothing of another. Each revision has its own file names and count, so
// a partial or mixed tree cannot pass for a whole one.
func TestAtomicSwap(t *testing.T) {
	const applies = 40
	root := t.TempDir()
	// Old trees outlive the test, so a slow reader is never cut off by
	// garbage collection: that is TestGarbageCollection's subject.
	p := newPublisher(t, Options{Path: root, Prune: true, Keep: applies + 1})
	revision := func(i int) map[string]string {
		files := map[string]string{}
		for j := range 10 + i%7 {
			files[fmt.Sprintf("kind%d/r%d-f%d.yaml", j%3, i, j)] = fmt.Sprintf("revision: %d\nfiles: %d\n", i, 10+i%7)
		}
		return files
	}
	apply(t, p, "r0", revision(0))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	reads := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			// Resolve current once, as a tool would cd into it.
			dir, err := filepath.EvalSymlinks(filepath.Join(root, currentLink))
			if err != nil {
				errs <- fmt.Errorf("resolve current: %w", err)
				return
			}
			if err := checkWhole(dir, revision); err != nil {
				errs <- err
				return
			}
			reads++
		}
	}()
	for i := 1; i <= applies; i++ {
		apply(t, p, fmt.Sprintf("r%d", i), revision(i))
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if reads == 0 {
		t.Fatal("the reader never completed a read")
	}
	t.Logf("%d whole-tree reads during %d applies", reads, applies)
}

// checkWhole reads every file of the tree at dir and checks they are
// exactly the files of one revision.
func checkWhole(dir string, revision func(int) map[string]string) error {
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == inventoryFile {
			return nil
		}
		b, err := os.ReadFile(path)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	var rev int
	for _, body := range got {
		if _, err := fmt.Sscanf(body, "revision: %d", &rev); err != nil {
			return fmt.Errorf("%s: a file that is not whole: %q", dir, body)
		}
		break
	}
	if want := revision(rev); !equalMaps(got, want) {
		return fmt.Errorf("%s: a tree that is not one whole revision %d: %d files, want %d", dir, rev, len(got), len(want))
	}
	return nil
}

func TestGarbageCollection(t *testing.T) {
	cases := []struct {
		keep      int
		wantTrees int // the live one included
	}{
		{keep: 0, wantTrees: 1 + DefaultKeep},
		{keep: 1, wantTrees: 2},
		{keep: 3, wantTrees: 4},
		{keep: -1, wantTrees: 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.keep), func(t *testing.T) {
			root := t.TempDir()
			p := newPublisher(t, Options{Path: root, Keep: tc.keep})
			var published []string
			for i := range 6 {
				res := apply(t, p, fmt.Sprintf("r%d", i), map[string]string{"a.yaml": fmt.Sprint(i)})
				published = append(published, filepath.Base(res.Published))
				got := trees(t, root)
				want := published[max(0, len(published)-tc.wantTrees):]
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("after apply %d: trees %v, want the newest %v", i, got, want)
				}
				if live := filepath.Base(current(t, root)); live != published[i] {
					t.Fatalf("live tree %s, want %s", live, published[i])
				}
			}
		})
	}
}

// TestRepublishOldContent: going back to the content of a kept old tree
// publishes it under its name again, fresh, and the GC keeps it as newest.
func TestRepublishOldContent(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Keep: 1})
	one := map[string]string{"a.yaml": "1"}
	first := apply(t, p, "r", one)
	apply(t, p, "r", map[string]string{"a.yaml": "2"})
	again := apply(t, p, "r", one)
	if again.Published != first.Published {
		t.Errorf("same revision and content published as %s, first as %s", again.Published, first.Published)
	}
	if got := readTree(t, current(t, root)); !equalMaps(got, one) {
		t.Errorf("live tree = %v", got)
	}
	if n := len(trees(t, root)); n != 2 {
		t.Errorf("%d trees kept, want 2", n)
	}
	// The GC's order is the publish order, kept in each tree's inventory.
	apply(t, p, "r", map[string]string{"a.yaml": "3"})
	names := strings.Join(trees(t, root), " ")
	if !strings.Contains(names, filepath.Base(first.Published)) {
		t.Errorf("the tree published second-to-last was collected: %s", names)
	}
}
