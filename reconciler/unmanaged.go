package reconciler

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
)

// readUnmanaged lists the files of the FGD's unmanaged/ folder (sidecars
// and .gitkeep aside), in name order: every one counts, the first
// state.MaxUnmanagedListed are returned with the reasons of their sidecars.
// A missing folder holds nothing.
func readUnmanaged(root string) (files []state.UnmanagedFile, total int, err error) {
	listed, total, err := fgd.ListUnmanaged(root, state.MaxUnmanagedListed)
	if err != nil {
		return nil, 0, err
	}
	for _, u := range listed {
		files = append(files, state.UnmanagedFile{Path: u.Rel(), Reasons: sidecarReasons(u)})
	}
	return files, total, nil
}

// sidecarReasons gives a sidecar's reasons, each as one line for an
// operator; a missing or unreadable sidecar says so instead.
func sidecarReasons(u fgd.UnmanagedFile) []string {
	switch err := u.SidecarErr; {
	case errors.Is(err, fs.ErrNotExist):
		return []string{"no " + u.Name + fgd.SidecarSuffix + " beside it: fgd did not put it there, or its sidecar was removed"}
	case errors.Is(err, fgd.ErrNotYAML):
		return []string{"its " + err.Error()}
	case err != nil:
		return []string{fmt.Sprintf("its sidecar cannot be read: %v", err)}
	}
	out := make([]string, 0, len(u.Sidecar.Reasons))
	for _, r := range u.Sidecar.Reasons {
		out = append(out, resource.Issue{Document: r.Document, Line: r.Line, Path: r.Path, Code: r.Code, Message: r.Message, Hint: r.Hint}.Error())
	}
	return out
}

// storeUnmanaged records the FGD's unmanaged files in the fabric's record.
func (r *Reconciler) storeUnmanaged(name, root string) error {
	files, total, err := readUnmanaged(root)
	if err != nil {
		return fmt.Errorf("read the unmanaged files: %w", err)
	}
	// An unchanged list writes nothing (UpdateFabric).
	err = r.opts.Store.UpdateFabric(name, func(f *state.Fabric) {
		f.UnmanagedCount, f.Unmanaged = total, files
	})
	if errors.Is(err, state.ErrNoFabric) {
		return nil
	}
	return err
}
