package ingest

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
)

// entryKind is what discovery found at a path.
type entryKind int

const (
	entryYAML    entryKind = iota // a regular *.yaml / *.yml file: parsed
	entryOther                    // a regular file in raw/ that is not YAML: routed whole
	entrySymlink                  // a symlink: moved as a link, never followed
	entrySpecial                  // FIFO, socket, device: never opened, left in place
)

// candidate is one input of a run, by its path below the FGD.
type candidate struct {
	rel  string
	kind entryKind
	size int64
	mode fs.FileMode
	// stamp is the file as discovery saw it; the original is removed only
	// if it still matches (see apply).
	stamp fgd.Stamp
}

// discover lists the inputs of the FGD at root, sorted by path:
//   - every non-dot entry directly in raw/ (SPEC §2);
//   - every *.yaml / *.yml anywhere else outside managed/, unmanaged/, .hnp/
//     and dot-folders.
//
// The second rule is the SPEC's "first sync" onboarding, applied on every
// sync on purpose: a YAML file that appears in the FGD outside raw/ later
// (copied in by the NetBox plugin or by hand, or pulled from git) is as much
// input as the first ones, and the daemon's watcher relies on every sync
// leaving no stray YAML behind. Running it each time costs one walk of the
// non-managed part of the tree.
func discover(root string) (cands []candidate, skipped []Skipped, errs []ErrorItem) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, relErr := filepath.Rel(root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if rel == "." {
				return err
			}
			errs = append(errs, ErrorItem{File: rel, Document: -1, Code: "unreadable",
				Message: "cannot list or examine it: " + err.Error(),
				Hint:    "make it readable by fgd, or move it out of the FGD"})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if rel == "." {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			switch {
			case rel == fgd.ManagedDir || rel == fgd.UnmanagedDir || rel == fgd.HNPDir:
				return fs.SkipDir
			case strings.HasPrefix(name, "."):
				return fs.SkipDir
			case isYAMLName(name):
				skipped = append(skipped, Skipped{Path: rel, Reason: "a folder named like a YAML file is not read as one; the YAML files inside it are ingested one by one"})
			}
			return nil
		}
		if strings.HasPrefix(name, ".") {
			return nil
		}
		inRaw := path.Dir(rel) == fgd.RawDir
		if !inRaw && !isYAMLName(name) {
			return nil
		}
		c := candidate{rel: rel, mode: d.Type()}
		switch t := d.Type(); {
		case t.IsRegular():
			c.kind = entryYAML
			if !isYAMLName(name) {
				c.kind = entryOther
			}
			if fi, err := d.Info(); err == nil {
				c.size, c.stamp = fi.Size(), fgd.StampOf(fi)
			}
		case t&fs.ModeSymlink != 0:
			c.kind = entrySymlink
		default:
			c.kind = entrySpecial
		}
		cands = append(cands, c)
		return nil
	})
	if err != nil {
		errs = append(errs, ErrorItem{File: ".", Document: -1, Code: "unreadable", Message: "cannot walk the FGD: " + err.Error(),
			Hint: "check the FGD path and its permissions"})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].rel < cands[j].rel })
	return cands, skipped, errs
}

// settleWait returns how long until the youngest file of cands was written
// settle ago; 0 when every file has settled.
func settleWait(cands []candidate, settle time.Duration, now time.Time) time.Duration {
	var wait time.Duration
	for _, c := range cands {
		if c.kind == entrySymlink || c.kind == entrySpecial {
			continue
		}
		if left := settle - now.Sub(time.Unix(0, c.stamp.MTime)); left > wait {
			wait = min(left, settle)
		}
	}
	return wait
}

// settled splits off the files written less than settle ago: a writer may
// still be at work on them, so they wait for the next sync.
func settled(cands []candidate, settle time.Duration, now time.Time) (ready []candidate, deferred []Skipped) {
	if settle <= 0 {
		return cands, nil
	}
	ready = cands[:0:0]
	for _, c := range cands {
		if c.kind != entrySymlink && c.kind != entrySpecial && now.Sub(time.Unix(0, c.stamp.MTime)) < settle {
			deferred = append(deferred, Skipped{Path: c.rel, Code: DeferSettling,
				Reason: fmt.Sprintf("written less than %s ago; ingested by the next sync once it has settled", settle)})
			continue
		}
		ready = append(ready, c)
	}
	return ready, deferred
}

func isYAMLName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}
