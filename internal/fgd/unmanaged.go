package fgd

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
	"gopkg.in/yaml.v3"
)

// ErrNotYAML: a sidecar is not valid YAML; test for it with errors.Is.
var ErrNotYAML = errors.New("is not valid YAML")

// UnmanagedFile is one file of unmanaged/ with its sidecar.
type UnmanagedFile struct {
	// Name is the file's name in unmanaged/.
	Name string
	// Sidecar is the parsed <Name>.metadata; it is valid when SidecarErr
	// is nil.
	Sidecar Sidecar
	// SidecarErr says why there is no sidecar: an error satisfying
	// errors.Is(err, fs.ErrNotExist) when none lies beside the file, an
	// *UnsafeFileError when it may not be read, or one satisfying
	// errors.Is(err, ErrNotYAML) when it cannot be parsed.
	SidecarErr error
}

// Rel is the file's path relative to the FGD's root.
func (u UnmanagedFile) Rel() string { return path.Join(UnmanagedDir, u.Name) }

// ListUnmanaged lists the files of root's unmanaged/ folder in name order,
// the sidecars and .gitkeep aside, and anything that is not a regular file.
// total counts them all; files holds the first limit of them (all when
// limit is negative) with their sidecars read and parsed, so a folder of
// thousands costs one listing, not thousands of reads. A missing folder
// holds nothing; a symlink in its place is refused, never followed.
func ListUnmanaged(root string, limit int) (files []UnmanagedFile, total int, err error) {
	names, err := unmanagedNames(root)
	if err != nil {
		return nil, 0, err
	}
	for _, name := range names {
		total++
		if limit >= 0 && len(files) >= limit {
			continue
		}
		u := UnmanagedFile{Name: name}
		u.Sidecar, u.SidecarErr = ReadSidecar(root, u.Rel()+SidecarSuffix)
		files = append(files, u)
	}
	return files, total, nil
}

// unmanagedNames returns the sorted names of the regular files in
// unmanaged/ that are neither sidecars nor .gitkeep. The folder is opened
// without following a symlink at its place.
func unmanagedNames(root string) ([]string, error) {
	dir := filepath.Join(root, UnmanagedDir)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil, nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		// Linux gives either for a symlink, depending on its target.
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&os.ModeSymlink == 0 {
			return nil, &UnsafeFileError{Path: dir, Reason: ErrNotRegular, Detail: "expected a folder, found a " + kindOf(fi)}
		}
		return nil, &UnsafeFileError{Path: dir, Reason: ErrSymlink}
	case err != nil:
		return nil, fmt.Errorf("list %s: %w", dir, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && name != GitKeep && !strings.HasSuffix(name, SidecarSuffix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// ReadSidecar reads and parses the sidecar at rel below root through
// ReadFile (no symlink, at most MaxInputBytes). A missing sidecar is an
// error satisfying errors.Is(err, fs.ErrNotExist), one that cannot be
// parsed an error satisfying errors.Is(err, ErrNotYAML) that names it.
func ReadSidecar(root, rel string) (Sidecar, error) {
	data, err := ReadFile(root, rel, MaxInputBytes)
	if err != nil {
		return Sidecar{}, err
	}
	var side Sidecar
	if err := yaml.Unmarshal(data, &side); err != nil {
		return Sidecar{}, fmt.Errorf("sidecar %s %w: %w", rel, ErrNotYAML, err)
	}
	return side, nil
}
