// Package buildinfo holds the version stamped into the binary at build time.
package buildinfo

import "runtime/debug"

// Version and Revision are set by the linker (-X) in release builds.
var (
	Version  = "dev"
	Revision = ""
)

// Info returns the version, the VCS revision and the Go version of this binary.
func Info() (version, revision, goVersion string) {
	version, revision = Version, Revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if revision == "" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					revision = s.Value
				}
			}
		}
	}
	return version, revision, goVersion
}
