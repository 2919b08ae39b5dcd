package fgd

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// diskFault makes a Batch's operations of one kind fail with ENOSPC from the
// nth one on, as a disk that filled up does, until space returns.
type diskFault struct {
	op string
	n  int

	mu    sync.Mutex
	seen  int
	freed bool
	hits  []string // the paths that failed
}

func (d *diskFault) fault(op, path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if op != d.op || d.freed {
		return nil
	}
	d.seen++
	if d.seen < d.n {
		return nil
	}
	d.hits = append(d.hits, path)
	return &os.PathError{Op: op, Path: path, Err: syscall.ENOSPC}
}

func (d *diskFault) free() {
	d.mu.Lock()
	d.freed = true
	d.mu.Unlock()
}

// A full disk at any file operation of a Batch: the error names a file (or
// for syncfs the folder) and ENOSPC, no temp file is left once the batch is
// aborted, every target holds its old or its new version whole, and the
// same batch succeeds once space returns.
func TestBatchOutOfSpace(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		n     int  // the first failing operation of that kind
		files int  // over syncfsThreshold, Commit flushes with one syncfs
		copy  bool // stage the files with Copy instead of WriteMany
		link  bool // stage a symlink after the files
	}{
		{"first create", "create", 1, 5, false, false},
		{"later create", "create", 4, 5, false, false},
		{"first write", "write", 1, 5, false, false},
		{"later write (short write)", "write", 3, 5, false, false},
		{"write of a copy", "write", 2, 5, true, false},
		{"fsync at commit", "fsync", 2, 5, false, false},
		{"syncfs at commit", "syncfs", 1, syncfsThreshold + 4, false, false},
		{"first rename", "rename", 1, 5, false, false},
		{"later rename", "rename", 3, 5, false, false},
		{"symlink", "symlink", 1, 3, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := t.TempDir()
			var files []File
			for i := range tt.files {
				p := filepath.Join(dir, fmt.Sprintf("f%02d.yaml", i))
				mustWrite(t, p, oldVersion(i))
				files = append(files, File{Path: p, Data: []byte(newVersion(i)), Perm: 0o644})
			}
			link := filepath.Join(dir, "link")
			d := &diskFault{op: tt.op, n: tt.n}

			stage := func(b *Batch) error {
				if tt.copy {
					for i, f := range files {
						s := filepath.Join(src, filepath.Base(f.Path))
						mustWrite(t, s, newVersion(i))
						if err := b.Copy(f.Path, s, sha256.Sum256(f.Data), f.Perm); err != nil {
							return err
						}
					}
				} else if _, err := b.WriteMany(files, 3); err != nil {
					return err
				}
				if tt.link {
					if err := b.Symlink(link, "f00.yaml"); err != nil {
						return err
					}
				}
				return b.Commit()
			}

			b := &Batch{fault: d.fault}
			err := stage(b)
			b.Abort()
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("batch error = %v, want ENOSPC", err)
			}
			if len(d.hits) == 0 {
				t.Fatal("the fault never fired")
			}
			if named := d.hits[0]; tt.op != "syncfs" {
				// The error names the file being written, not only its
				// temp file.
				if !namesAFile(err.Error(), files, link) {
					t.Errorf("error %q names none of the files written", err)
				}
			} else if !strings.Contains(err.Error(), named) {
				t.Errorf("error %q does not name the folder %s", err, named)
			}
			noTemp(t, dir)
			renamed := wholeVersions(t, files)
			if tt.op == "rename" {
				// Commit renames in staging order: the files renamed are a
				// prefix.
				if want := tt.n - 1; renamed != want {
					t.Errorf("%d files renamed before the failure, want the first %d", renamed, want)
				}
			} else if renamed != 0 {
				t.Errorf("%d files changed by a batch that failed before its renames", renamed)
			}

			// Space returns: the same batch again completes.
			d.free()
			b = &Batch{fault: d.fault}
			if err := stage(b); err != nil {
				t.Fatalf("retry after space returned: %v", err)
			}
			noTemp(t, dir)
			if got := wholeVersions(t, files); got != len(files) {
				t.Errorf("after the retry %d of %d files hold the new version", got, len(files))
			}
			if tt.link {
				if tgt, err := os.Readlink(link); err != nil || tgt != "f00.yaml" {
					t.Errorf("link after the retry = %q, %v", tgt, err)
				}
			}
		})
	}
}

// The fault seam is off in production: a zero Batch and NewBatch have none.
func TestBatchHasNoFaultByDefault(t *testing.T) {
	if NewBatch().fault != nil || (&Batch{}).inject("write", "x") != nil {
		t.Fatal("a new Batch injects faults")
	}
}

func oldVersion(i int) string { return fmt.Sprintf("name: old-%d\n", i) }

// newVersion is longer than a page, so a short write cuts it visibly.
func newVersion(i int) string {
	return fmt.Sprintf("name: new-%d\nspec: %q\n", i, strings.Repeat("x", 5000))
}

// wholeVersions fails the test unless every file holds its old or its new
// version exactly, and returns how many hold the new one.
func wholeVersions(t *testing.T, files []File) int {
	t.Helper()
	n := 0
	for i, f := range files {
		b, err := os.ReadFile(f.Path)
		switch {
		case err != nil:
			t.Errorf("%s: %v", f.Path, err)
		case string(b) == newVersion(i):
			n++
		case string(b) != oldVersion(i):
			t.Errorf("%s holds neither version whole (%d bytes)", f.Path, len(b))
		}
	}
	return n
}

func noTemp(t *testing.T, dir string) {
	t.Helper()
	for _, n := range list(t, dir) {
		if IsTemp(n) {
			t.Errorf("temp file left: %s", n)
		}
	}
}

func namesAFile(msg string, files []File, extra ...string) bool {
	for _, f := range files {
		if strings.Contains(msg, f.Path) {
			return true
		}
	}
	for _, p := range extra {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
