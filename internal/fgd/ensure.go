package fgd

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Repair is one change Ensure made (or Inspect would make) to an FGD.
type Repair struct {
	Path   string `json:"path"`
	Action string `json:"action"`
}

// Ensure creates and repairs the layout of the FGD at root (SPEC §1): the
// folders, a .gitkeep in each (so Git keeps it when empty), and .hnp/manifest.yaml, written only
// when its content would change. Anything standing where a folder must be is
// moved into unmanaged/ with a sidecar, never deleted. It reports each
// repair; a second call reports nothing and writes nothing. Call it with the
// lock held.
func Ensure(root string, m Manifest) ([]Repair, error) {
	return (&ensurer{root: root, m: m}).run()
}

// Inspect reports what Ensure(root, m) would repair and which temp files
// CleanTemp would remove, writing nothing.
func Inspect(root string, m Manifest) ([]Repair, error) {
	reps, err := cleanTemp(root, true)
	if err != nil {
		return reps, err
	}
	more, err := (&ensurer{root: root, m: m, dry: true}).run()
	return append(reps, more...), err
}

type ensurer struct {
	root    string
	m       Manifest
	dry     bool
	repairs []Repair
	// created lists folders a dry run would create (they are empty).
	created map[string]bool
}

func (e *ensurer) add(rel, action string) { e.repairs = append(e.repairs, Repair{rel, action}) }

func (e *ensurer) abs(rel string) string { return filepath.Join(e.root, filepath.FromSlash(rel)) }

func (e *ensurer) run() ([]Repair, error) {
	fi, err := os.Stat(e.root)
	if err != nil {
		return nil, fmt.Errorf("fgd: %w (create the folder or fix the path)", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("fgd: %s is not a folder; point fgd at the FGD's folder", e.root)
	}
	e.created = map[string]bool{}
	for _, d := range Dirs() {
		if err := e.dir(d); err != nil {
			return e.repairs, err
		}
	}
	if parked := UnmanagedDir + ".fgd-displaced"; !e.dry {
		if _, err := os.Lstat(e.abs(parked)); err == nil {
			if err := e.moveAside(parked, "it stood where the FGD layout needs the folder unmanaged"); err != nil {
				return e.repairs, err
			}
		}
	}
	for _, d := range keptDirs() {
		if err := e.gitkeep(d); err != nil {
			return e.repairs, err
		}
	}
	if err := e.manifest(); err != nil {
		return e.repairs, err
	}
	if err := e.archiveLog(); err != nil {
		return e.repairs, err
	}
	return e.repairs, e.gitignore()
}

// gitignoreLine keeps the lock file out of Git: it holds the PID of the
// last writer, which would otherwise make a commit of every CLI run.
const gitignoreLine = "/lock"

// gitignore makes .hnp/.gitignore ignore the lock file, keeping any other
// line found there.
func (e *ensurer) gitignore() error {
	rel := path.Join(HNPDir, ".gitignore")
	old, err := e.ownFile(rel, "the .hnp/.gitignore fgd keeps")
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(old), "\n") {
		if strings.TrimSpace(l) == gitignoreLine {
			return nil
		}
	}
	data := old
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, gitignoreLine+"\n"...)
	e.add(rel, "ignore the lock file in Git")
	if e.dry {
		return nil
	}
	_, err = WriteFileAtomic(e.abs(rel), data, 0o644)
	return err
}

// ownFile reads one of fgd's own small files in .hnp/ under the read rule
// (see ReadFile). What fgd must not read there (a symlink, a FIFO, a file
// over the limit) is moved to unmanaged/ with the reason, and the file is
// then missing: the caller writes a fresh one. A missing file reads as nil.
func (e *ensurer) ownFile(rel, what string) ([]byte, error) {
	data, err := ReadFile(e.root, rel, MaxSmallFileBytes)
	var unsafe *UnsafeFileError
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case errors.As(err, &unsafe):
		return nil, e.displaceOwn(rel, what, unsafe)
	}
	return nil, fmt.Errorf("fgd: read %s: %w", e.abs(rel), err)
}

// displaceOwn moves what stands where fgd keeps one of its files to
// unmanaged/, saying why; a symlink is moved as a link, never read.
func (e *ensurer) displaceOwn(rel, what string, unsafe *UnsafeFileError) error {
	why := fmt.Sprintf("%s %s", what, strings.TrimPrefix(unsafe.Error(), unsafe.Path+" "))
	return e.moveAside(rel, why)
}

// archiveLog checks, without reading it, that the archive log is a regular
// file within its limit; anything else is moved to unmanaged/ and the
// ingestion starts a fresh log. The folder of its segments, when there is
// one, must be a real folder: fgd writes segments into it.
func (e *ensurer) archiveLog() error {
	if fi, err := os.Lstat(e.abs(ArchiveLogDir)); err == nil && !fi.IsDir() {
		why := fmt.Sprintf("a %s stood where fgd keeps the archive log's segments", kindOf(fi))
		if err := e.moveAside(ArchiveLogDir, why); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(e.abs(ArchiveLog))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("fgd: examine %s: %w", e.abs(ArchiveLog), err)
	case fi.Mode()&os.ModeSymlink != 0:
		return e.displaceOwn(ArchiveLog, "the archive log", &UnsafeFileError{Path: e.abs(ArchiveLog), Reason: ErrSymlink})
	case !fi.Mode().IsRegular():
		return e.displaceOwn(ArchiveLog, "the archive log",
			&UnsafeFileError{Path: e.abs(ArchiveLog), Reason: ErrNotRegular, Detail: "a " + kindOf(fi)})
	case fi.Size() > MaxArchiveLogBytes:
		return e.displaceOwn(ArchiveLog, "the archive log", tooLarge(e.abs(ArchiveLog), fi.Size(), MaxArchiveLogBytes))
	}
	return nil
}

func (e *ensurer) dir(rel string) error {
	fi, err := os.Lstat(e.abs(rel))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("fgd: examine %s: %w", e.abs(rel), err)
	case fi.IsDir():
		return nil
	default:
		if err := e.moveAside(rel, fmt.Sprintf("a %s stood where the FGD layout needs the folder %s", kindOf(fi), rel)); err != nil {
			return err
		}
	}
	e.add(rel, "create folder")
	if e.dry {
		e.created[rel] = true
		return nil
	}
	if err := os.Mkdir(e.abs(rel), 0o755); err != nil {
		return fmt.Errorf("fgd: create folder %s: %w", e.abs(rel), err)
	}
	return SyncDirs(map[string]bool{filepath.Dir(e.abs(rel)): true})
}

// gitkeep puts a .gitkeep in a layout folder. Every layout folder gets one,
// not only empty ones: a folder emptied later (raw/ after every ingest)
// then still has it, so Ensure stays idempotent across runs.
func (e *ensurer) gitkeep(rel string) error {
	keep := path.Join(rel, GitKeep)
	if !e.created[rel] {
		_, err := os.Lstat(e.abs(keep))
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("fgd: examine %s: %w", e.abs(keep), err)
		}
	}
	e.add(keep, "add .gitkeep so Git keeps the folder even when empty")
	if e.dry {
		return nil
	}
	// An empty file cannot be half-written: create it in place, so no temp
	// file is ever made in raw/, where CleanTemp does not look.
	f, err := os.OpenFile(e.abs(keep), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("fgd: create %s: %w", e.abs(keep), err)
	}
	if err == nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("fgd: create %s: %w", e.abs(keep), err)
		}
	}
	return SyncDirs(map[string]bool{e.abs(rel): true})
}

func (e *ensurer) manifest() error {
	p := e.abs(ManifestFile)
	old, err := e.ownFile(ManifestFile, "the manifest")
	if err != nil {
		return err
	}
	data, changed, err := manifestBytes(old, e.m)
	if err != nil {
		// A manifest fgd cannot parse is kept in unmanaged/ and replaced.
		if err := e.moveAside(ManifestFile, "the manifest is not a YAML mapping: "+err.Error()); err != nil {
			return err
		}
		old = nil
		if data, changed, err = manifestBytes(nil, e.m); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	if old == nil {
		e.add(ManifestFile, "write manifest")
	} else {
		e.add(ManifestFile, "update fgd's keys in the manifest (other keys kept)")
	}
	if e.dry {
		return nil
	}
	_, err = WriteFileAtomic(p, data, 0o644)
	return err
}

// moveAside renames whatever is at rel into unmanaged/ (a symlink is moved
// as a link, never followed) and writes its sidecar.
func (e *ensurer) moveAside(rel, why string) error {
	src := e.abs(rel)
	if rel == UnmanagedDir {
		// unmanaged/ itself is taken: park the thing beside it first.
		parked := rel + ".fgd-displaced"
		if !e.dry {
			if err := os.Rename(src, e.abs(parked)); err != nil {
				return fmt.Errorf("fgd: move %s aside: %w", src, err)
			}
		}
		e.add(rel, "move aside to "+parked+" ("+why+"); it goes into unmanaged/ on the next run")
		return nil
	}
	sum, _, err := DiskLookup(src)
	if err != nil {
		return err
	}
	dir := e.abs(UnmanagedDir)
	name, exists, err := ChooseName(dir, SourceName(rel), sum, SidecarSuffix, DiskLookup)
	if err != nil {
		return err
	}
	stored := path.Join(UnmanagedDir, name)
	e.add(rel, "move aside to "+stored+" ("+why+")")
	if e.dry {
		return nil
	}
	if exists {
		// Identical content is already stored: keep one copy.
		if err := os.Remove(src); err != nil {
			return fmt.Errorf("fgd: remove %s (a copy is in %s): %w", src, stored, err)
		}
	} else if err := os.Rename(src, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("fgd: move %s to %s: %w", src, stored, err)
	}
	side := Sidecar{
		Original: rel, StoredAs: stored, SHA256: hex.EncodeToString(sum[:]), Fabric: e.m.Fabric, Outcome: "displaced",
		Reasons: []Reason{{Document: -1, Code: "layout", Message: why,
			Hint: "fgd moved it out of the way; put what it holds where it belongs (YAML into raw/)"}},
		When: time.Now().UTC().Format(time.RFC3339),
	}
	data, err := side.Marshal()
	if err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(dir, name+SidecarSuffix)); errors.Is(err, os.ErrNotExist) {
		if _, err := WriteFileAtomic(filepath.Join(dir, name+SidecarSuffix), data, 0o644); err != nil {
			return err
		}
	}
	return SyncDirs(map[string]bool{filepath.Dir(src): true})
}

func kindOf(fi os.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return "file"
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "folder"
	default:
		return "special file (" + m.Type().String() + ")"
	}
}
