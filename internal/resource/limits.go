package resource

import "fmt"

// Limits bound what one file may cost.
type Limits struct {
	MaxFileBytes int64 // default 8 MiB
	MaxDepth     int   // max nesting depth of a document, default 64
	MaxNodes     int   // max YAML nodes per file (after alias expansion), default 1_000_000
	MaxDocuments int   // default 10_000
}

// Default limit values, used by DefaultLimits and for any zero field of a Limits.
const (
	DefaultMaxFileBytes = 8 << 20
	DefaultMaxDepth     = 64
	DefaultMaxNodes     = 1_000_000
	DefaultMaxDocuments = 10_000
)

// DefaultLimits returns the limits fgd applies when the configuration says nothing.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes: DefaultMaxFileBytes,
		MaxDepth:     DefaultMaxDepth,
		MaxNodes:     DefaultMaxNodes,
		MaxDocuments: DefaultMaxDocuments,
	}
}

// withDefaults fills zero or negative fields, so a zero Limits means "the defaults".
func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultMaxDocuments
	}
	return l
}

// CheckSize returns a file-level *Issue (code too-large) when a file of n bytes is over lim.MaxFileBytes,
// so a caller can refuse a file from its size alone, before reading it.
func CheckSize(n int64, lim Limits) error {
	lim = lim.withDefaults()
	if n <= lim.MaxFileBytes {
		return nil
	}
	return &Issue{
		Document: -1,
		Code:     CodeTooLarge,
		Message:  fmt.Sprintf("file is %d bytes, over the limit of %d bytes", n, lim.MaxFileBytes),
		Hint:     "split it into smaller files (one file per fabric object is fine), or raise the size limit in the fgd configuration",
	}
}
