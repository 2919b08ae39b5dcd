// Package fsname fits the names of files fgd writes into the file-system's
// limit on one path component (255 bytes on Linux file systems). A valid
// Kubernetes name may have 253 characters, so "<name>.yaml", a sidecar
// "<file>.metadata" or an archive name with a hash suffix can exceed it.
package fsname

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"unicode/utf8"
)

// Max is the longest file name, in bytes, that fgd writes (NAME_MAX).
const Max = 255

// hashLen is how many hex digits of the name's SHA-256 a shortened name
// carries: 64 bits, so two long names sharing a prefix never meet by chance.
const hashLen = 16

// maxExt is the longest extension Fit keeps; a longer one is part of what
// gets shortened.
const maxExt = 16

// Sep joins a shortened name's prefix and hash. It is not valid in a
// Kubernetes object name, so a shortened managed file name never equals the
// name of a resource that was not shortened.
const Sep = "_"

// Fit returns name unchanged when it has at most limit bytes; otherwise a
// name of at most limit bytes: the longest prefix of name that fits (cut at
// a UTF-8 boundary), "_", the first 16 hex digits of the SHA-256 of the
// whole name, and name's extension. The result depends on name alone, so
// the same name always gets the same short form, and two long names get
// two short forms unless their SHA-256 share 64 bits.
func Fit(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > maxExt || len(ext) == len(name) {
		ext = ""
	}
	sum := sha256.Sum256([]byte(name))
	tail := Sep + hex.EncodeToString(sum[:])[:hashLen] + ext
	keep := max(limit-len(tail), 0)
	prefix := name[:min(keep, len(name)-len(ext))]
	for len(prefix) > 0 && !utf8.ValidString(prefix) {
		prefix = prefix[:len(prefix)-1]
	}
	return prefix + tail
}
