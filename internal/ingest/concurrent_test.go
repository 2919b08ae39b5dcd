package ingest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentRunsInOneProcess: two Runs on one FGD from two goroutines
// (the daemon's sync and a manual trigger, say) serialize on the lock and
// leave the tree one run leaves.
func TestConcurrentRunsInOneProcess(t *testing.T) {
	gen := generateFGD(t, 40, 10)
	single, both := t.TempDir(), t.TempDir()
	for name, data := range gen {
		write(t, filepath.Join(single, "raw", name), data)
		write(t, filepath.Join(both, "raw", name), data)
	}
	run(t, single, Options{})
	reps := make([]*Report, 2)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := Run(context.Background(), both, registry(t), Options{Fabric: "test", Now: fixedNow})
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := len(reps[0].Files) + len(reps[1].Files); n != len(gen) {
		t.Errorf("the two runs handled %d files between them, want %d", n, len(gen))
	}
	if d := diffTrees(tree(t, single), tree(t, both)); d != "" {
		t.Errorf("trees differ:\n%s", d)
	}
}
