package fgd

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSymlinksInFGDAreNeverFollowed drives the one reader of FGD files over
// everything a hostile tree can hold where a file is expected: only a
// regular file reached without a symlink is read, within its limit; every
// other case is refused with the reason, without reading (or blocking on)
// what is there.
func TestSymlinksInFGDAreNeverFollowed(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	const secret = "SECRET-MARKER-7f3a"
	mustWrite(t, filepath.Join(outside, "secret"), secret)
	mustWrite(t, filepath.Join(outside, "dir", "f.yaml"), secret)
	mustWrite(t, filepath.Join(root, "managed", "vpcs", "ok.yaml"), "kind: VPC\n")
	mustWrite(t, filepath.Join(root, "big.yaml"), strings.Repeat("x", 100))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "leaf.yaml")))
	must(t, os.Symlink(filepath.Join(outside, "dir"), filepath.Join(root, "linkdir")))
	// A symlink to a folder inside the FGD is refused as well: no
	// component may be a link, wherever it points.
	must(t, os.Symlink("managed", filepath.Join(root, "inside")))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo.yaml"), 0o644))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, "zero.yaml")))
	mustWrite(t, filepath.Join(root, "file"), "not a folder")

	cases := []struct {
		rel   string
		limit int64
		want  error // nil: read
	}{
		{"managed/vpcs/ok.yaml", 100, nil},
		{"big.yaml", 100, nil},
		{"big.yaml", 99, ErrTooLarge},
		{"leaf.yaml", 100, ErrSymlink},
		{"linkdir/f.yaml", 100, ErrSymlink},
		{"inside/vpcs/ok.yaml", 100, ErrSymlink},
		{"fifo.yaml", 100, ErrNotRegular},
		{"zero.yaml", 100, ErrSymlink},
		{"managed", 100, ErrNotRegular},
		{"file/x.yaml", 100, ErrNotRegular},
		{"missing.yaml", 100, os.ErrNotExist},
	}
	for _, c := range cases {
		t.Run(c.rel, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = ReadFile(root, c.rel, c.limit)
			}()
			select {
			case <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("ReadFile hangs")
			}
			if strings.Contains(string(data), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
				t.Fatalf("a byte of a link's target came back: %q, %v", data, err)
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("ReadFile: %v", err)
				}
				if b, _ := os.ReadFile(filepath.Join(root, c.rel)); string(b) != string(data) {
					t.Fatalf("read %q, want %q", data, b)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want != os.ErrNotExist {
				var ue *UnsafeFileError
				if !errors.As(err, &ue) || !strings.HasPrefix(ue.Path, root) {
					t.Fatalf("err = %#v, want an *UnsafeFileError naming the file", err)
				}
			}
		})
	}
}

// TestReadFileRefusesDevices reads a character device directly (not through a
// link): it is refused before it is opened, so /dev/zero cannot fill memory.
func TestReadFileRefusesDevices(t *testing.T) {
	if _, err := ReadFile("/dev", "zero", 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("ReadFile(/dev/zero) = %v, want ErrNotRegular", err)
	}
	if _, err := ReadRegular("/dev/zero", 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("ReadRegular(/dev/zero) = %v, want ErrNotRegular", err)
	}
}

func TestReadFileRejectsPathsLeavingTheRoot(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"../x", "/etc/passwd", ".", ""} {
		if _, err := ReadFile(root, rel, 10); err == nil {
			t.Errorf("ReadFile(%q) read something", rel)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestEnsureNeverReadsThroughItsOwnFiles puts a symlink to a secret at
// .hnp/.gitignore and .hnp/manifest.yaml, a symlink to /dev/zero at the
// archive log and a FIFO at the lock: Ensure (and the lock) move each to
// unmanaged/ as it is, with a sidecar, and write fgd's own files afresh;
// no byte of the secret is read.
func TestEnsureNeverReadsThroughItsOwnFiles(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "token")
	const marker = "SECRET-MARKER-2b77"
	mustWrite(t, secret, marker)
	must(t, os.MkdirAll(filepath.Join(root, HNPDir), 0o755))
	must(t, os.Symlink(secret, filepath.Join(root, HNPDir, ".gitignore")))
	must(t, os.Symlink(secret, filepath.Join(root, ManifestFile)))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, ArchiveLog)))
	must(t, os.Symlink(t.TempDir(), filepath.Join(root, ArchiveLogDir)))
	must(t, syscall.Mkfifo(filepath.Join(root, LockFile), 0o644))

	lock, err := Acquire(context.Background(), root, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if _, err := Ensure(root, testManifest); err != nil {
		t.Fatal(err)
	}
	for _, own := range []string{".hnp/.gitignore", ManifestFile, LockFile} {
		if fi, err := os.Lstat(filepath.Join(root, own)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s is not a regular file fgd wrote: %v", own, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, ArchiveLog)); !os.IsNotExist(err) {
		t.Errorf("the archive log link is still in .hnp/: %v", err)
	}
	for _, own := range []string{".hnp/.gitignore", ManifestFile, ArchiveLog, ArchiveLogDir, LockFile} {
		moved := SourceName(own)
		p := filepath.Join(root, UnmanagedDir, moved)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", moved, err)
			continue
		}
		if own != LockFile && fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s was not moved as a link (%v)", moved, fi.Mode())
		}
		if side, err := os.ReadFile(p + SidecarSuffix); err != nil || !strings.Contains(string(side), "reasons:") {
			t.Errorf("%s: no sidecar with a reason: %v", moved, err)
		}
	}
	for rel, data := range readTree(t, root) {
		if strings.Contains(data, marker) {
			t.Errorf("%s holds the secret", rel)
		}
	}
	if m, found, err := ReadManifest(root); err != nil || !found || m != testManifest {
		t.Errorf("manifest %+v %v %v", m, found, err)
	}
}

// readTree returns every regular file below root (links not followed).
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAcquireMovesASymlinkedHNPAside: a .hnp that is a symlink to a folder
// elsewhere is moved to unmanaged/ as a link before the lock is taken, so
// fgd never writes its lock, manifest or archive through it.
func TestAcquireMovesASymlinkedHNPAside(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	must(t, os.Symlink(elsewhere, filepath.Join(root, HNPDir)))
	lock, err := Acquire(context.Background(), root, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if fi, err := os.Lstat(filepath.Join(root, HNPDir)); err != nil || !fi.IsDir() {
		t.Fatalf(".hnp is not a folder: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(root, UnmanagedDir, SourceName(HNPDir))); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was not moved to unmanaged/: %v", err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatalf("fgd wrote through the link: %v", ents)
	}
}
