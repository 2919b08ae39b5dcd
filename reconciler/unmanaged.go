package reconciler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
)

// readUnmanaged lists the files of the FGD's unmanaged/ folder (sidecars
// and .gitkeep aside), in name order: every one counts, the first
// state.MaxUnmanagedListed are returned with the reasons of their sidecars.
// A missing folder holds nothing.
func readUnmanaged(root string) (files []state.UnmanagedFile, total int, err error) {
	dir := filepath.Join(root, fgd.UnmanagedDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || name == fgd.GitKeep || strings.HasSuffix(name, fgd.SidecarSuffix) {
			continue
		}
		total++
		if len(files) < state.MaxUnmanagedListed {
			files = append(files, state.UnmanagedFile{
				Path:    path.Join(fgd.UnmanagedDir, name),
				Reasons: sidecarReasons(root, path.Join(fgd.UnmanagedDir, name+fgd.SidecarSuffix)),
			})
		}
	}
	return files, total, nil
}

// sidecarReasons reads a sidecar's reasons, each as one line for an
// operator; a missing or unreadable sidecar says so instead. A sidecar that
// is a symlink, not a regular file or too large is never read.
func sidecarReasons(root, rel string) []string {
	file := filepath.Join(root, filepath.FromSlash(rel))
	b, err := fgd.ReadFile(root, rel, fgd.MaxInputBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"no " + filepath.Base(file) + " beside it: fgd did not put it there, or its sidecar was removed"}
	}
	if err != nil {
		return []string{fmt.Sprintf("its sidecar cannot be read: %v", err)}
	}
	var side fgd.Sidecar
	if err := yaml.Unmarshal(b, &side); err != nil {
		return []string{fmt.Sprintf("its sidecar %s is not valid YAML: %v", filepath.Base(file), err)}
	}
	out := make([]string, 0, len(side.Reasons))
	for _, r := range side.Reasons {
		out = append(out, resource.Issue{Document: r.Document, Line: r.Line, Path: r.Path, Code: r.Code, Message: r.Message, Hint: r.Hint}.Error())
	}
	return out
}

// storeUnmanaged records the FGD's unmanaged files in the fabric's record.
func (r *Reconciler) storeUnmanaged(name, root string) error {
	s := r.opts.Store
	if s == nil {
		return nil
	}
	files, total, err := readUnmanaged(root)
	if err != nil {
		return fmt.Errorf("read the unmanaged files: %w", err)
	}
	r.fabricRecMu.Lock()
	defer r.fabricRecMu.Unlock()
	old, err := s.Fabric(nil, name)
	if err != nil || old == nil {
		return err
	}
	if old.UnmanagedCount == total && reflect.DeepEqual(old.Unmanaged, files) {
		return nil
	}
	old.UnmanagedCount, old.Unmanaged = total, files
	return s.UpsertFabric(*old)
}
