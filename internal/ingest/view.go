package ingest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fgdproject/fgd/internal/fgd"
)

// view is the FGD as the run will have left it: the disk, overlaid with
// what the run has planned. Every decision (names, create or update,
// conflicts) is taken through it, so a dry run decides exactly as a real
// run, and files planned earlier in a batch are seen by later ones.
type view struct {
	root string
	over map[string]planned
}

// planned is a path's state once the run's plan is carried out.
type planned struct {
	sum fgd.Sum
	key string // for a managed file: its identity key
}

func newView(root string) *view { return &view{root: root, over: map[string]planned{}} }

func (v *view) abs(rel string) string { return filepath.Join(v.root, filepath.FromSlash(rel)) }

// lookup is an fgd.Lookup over relative paths.
func (v *view) lookup(rel string) (fgd.Sum, bool, error) {
	if p, ok := v.over[rel]; ok {
		return p.sum, true, nil
	}
	return fgd.DiskLookup(v.abs(rel))
}

func (v *view) set(rel string, sum fgd.Sum, key string) { v.over[rel] = planned{sum: sum, key: key} }

// managedKey returns the identity key of the resource in the managed file
// at rel. ok is false when the file cannot be read as a resource.
func (v *view) managedKey(rel string) (key string, ok bool) {
	if p, found := v.over[rel]; found {
		return p.key, p.key != ""
	}
	data, err := fgd.ReadFile(v.root, rel, fgd.MaxInputBytes)
	if err != nil {
		return "", false
	}
	return identityOf(data)
}

// identityOf reads just enough of a managed file to know its identity key.
func identityOf(data []byte) (string, bool) {
	id, err := managedIdentity(data)
	if err != nil {
		return "", false
	}
	return id.Key(), true
}

// existedBefore records, the first time the run touches a managed path,
// whether it existed and with which content, to tell create from update.
type before struct {
	exists bool
	sum    fgd.Sum
}

func diskState(abs string) (before, error) {
	sum, exists, err := fgd.DiskLookup(abs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return before{}, fmt.Errorf("examine %s: %w", abs, err)
	}
	return before{exists: exists, sum: sum}, nil
}

func sumOf(b []byte) fgd.Sum { return sha256.Sum256(b) }
