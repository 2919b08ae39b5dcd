package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// OnFile is told every input file once, in order, after its batch is
// handled: with one file per batch, the file is already archived when its
// call comes (a dry run touches nothing).
func TestOnFileCountsEveryFile(t *testing.T) {
	const n = 7
	tests := []struct {
		name       string
		dryRun     bool
		batchBytes int64 // 1: one file per batch
	}{
		{"one batch", false, 0},
		{"one file per batch", false, 1},
		{"dry run", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			var files []string
			for i := range n {
				name := fmt.Sprintf("vpc-%d", i)
				files = append(files, filepath.Join(root, "raw", name+".yaml"))
				write(t, files[i], vpcNamed(name))
			}
			var done []int
			run(t, root, Options{DryRun: tt.dryRun, BatchBytes: tt.batchBytes, OnFile: func(d, total int) {
				if total != n {
					t.Errorf("OnFile total = %d, want %d", total, n)
				}
				_, err := os.Stat(files[d-1])
				if still := err == nil; still != tt.dryRun {
					t.Errorf("at OnFile(%d), file %s still in raw/: %v, want %v", d, files[d-1], still, tt.dryRun)
				}
				done = append(done, d)
			}})
			if want := []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(done, want) {
				t.Errorf("OnFile done = %v, want %v", done, want)
			}
		})
	}
}
