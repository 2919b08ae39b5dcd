// Package fgd owns the on-disk shape of a Fabric GitOps Directory (SPEC §1):
// its folders and manifest, the writer lock, crash-safe writes and the
// deterministic names of files fgd stores. It knows nothing about YAML
// resources beyond the kind folders' names.
package fgd

import (
	"path"
	"strings"

	"github.com/fgdproject/fgd/internal/resource"
)

// Names of the parts of an FGD, relative to its root, with '/' separators.
const (
	RawDir       = "raw"
	ManagedDir   = "managed"
	UnmanagedDir = "unmanaged"
	HNPDir       = ".hnp"
	ArchiveDir   = ".hnp/archive"
	ManifestFile = ".hnp/manifest.yaml"
	ArchiveLog   = ".hnp/archive-log.yaml"
	// ArchiveLogDir holds the archive log's older records, in numbered
	// segments rolled out of ArchiveLog (see internal/ingest).
	ArchiveLogDir = ".hnp/archive-log"
	LockFile      = ".hnp/lock"

	// GitKeep is the empty file that keeps an otherwise empty folder in Git.
	GitKeep = ".gitkeep"
	// SidecarSuffix is appended to a file's name in unmanaged/ to name the
	// sidecar that says why it is there.
	SidecarSuffix = ".metadata"
	// TempPrefix starts the name of every temporary file fgd writes. Such
	// files are dotfiles, so discovery never takes them for input, and
	// CleanTemp removes those a crash left behind.
	TempPrefix = ".fgd-tmp-"
	// LayoutVersion is the version of this layout written to the manifest.
	LayoutVersion = 1
)

// Dirs returns every folder of the layout, relative to the root, in the
// order Ensure creates them: unmanaged/ first, because a file standing where
// another folder must be is moved there.
func Dirs() []string {
	out := []string{UnmanagedDir, RawDir, ManagedDir}
	for _, d := range resource.KindDirs() {
		out = append(out, path.Join(ManagedDir, d))
	}
	return append(out, HNPDir, ArchiveDir)
}

// keptDirs are the folders that get a .gitkeep when they are empty.
func keptDirs() []string {
	out := []string{RawDir, UnmanagedDir, ArchiveDir}
	for _, d := range resource.KindDirs() {
		out = append(out, path.Join(ManagedDir, d))
	}
	return out
}

// SourceName is the name a file keeps when fgd stores it in unmanaged/ or
// .hnp/archive/: its base name for a file directly in raw/, otherwise its
// path below the FGD with '/' turned into "__" (SPEC §2).
func SourceName(rel string) string {
	if path.Dir(rel) == RawDir {
		return path.Base(rel)
	}
	return strings.ReplaceAll(rel, "/", "__")
}

// IsTemp reports whether a file name is one of fgd's temporary files.
func IsTemp(name string) bool { return strings.HasPrefix(name, TempPrefix) }
