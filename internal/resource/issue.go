package resource

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Issue codes: stable, machine-readable reasons a document or file was rejected.
const (
	CodeSyntax             = "syntax"              // the YAML does not parse
	CodeTooLarge           = "too-large"           // over the size, node or document limit
	CodeBinary             = "binary"              // NUL bytes: not a text file
	CodeInvalidUTF8        = "invalid-utf8"        // not UTF-8 text
	CodeTooDeep            = "too-deep"            // nested deeper than Limits.MaxDepth
	CodeAliasBomb          = "alias-bomb"          // aliases expand past Limits.MaxNodes, or refer to themselves
	CodeNotObject          = "not-object"          // the document is not a mapping
	CodeMissingAPIVersion  = "missing-api-version" // no apiVersion, or not a string
	CodeMissingKind        = "missing-kind"        // no kind, or not a string
	CodeNotFabricKind      = "not-fabric-kind"     // not one of the 12 vpc/wiring kinds
	CodeUnsupportedVersion = "unsupported-version" // a fabric kind in an API version fgd has no schema for
	CodeMissingName        = "missing-name"        // no metadata.name
	CodeInvalidName        = "invalid-name"        // metadata.name or metadata.namespace is not a valid Kubernetes name
	CodeDuplicateKey       = "duplicate-key"       // one key twice in a mapping
	CodeNonStringKey       = "non-string-key"      // a mapping key that is not a string
	CodeUnsupportedValue   = "unsupported-value"   // a YAML value JSON cannot hold (custom tag, NaN, infinity)
	CodeUnknownField       = "unknown-field"       // a field the kind's schema does not have
	CodeMissingField       = "missing-field"       // a field the kind's schema requires is absent
	CodeSchema             = "schema"              // any other schema violation (type, enum, pattern, range...)
	CodeEmpty              = "empty"               // Decode was given an empty document
)

// Issue is one precise reason a document (or file) was rejected.
type Issue struct {
	Document int    `json:"document"` // document index, -1 for the whole file
	Line     int    `json:"line"`     // 1-based line in the original file, 0 if unknown
	Path     string `json:"path"`     // field path like "spec.subnets.bgp-on-host" ("" for the whole document)
	Message  string `json:"message"`  // what is wrong, e.g. `unknown field "location"`
	Hint     string `json:"hint"`     // how to fix it
	Code     string `json:"code"`     // stable machine code, one of the Code* constants
}

// Error renders the issue for an operator: `document 2, line 14, spec.subnets.x: unknown field "y" (hint: ...)`.
func (i Issue) Error() string {
	var b strings.Builder
	if i.Document < 0 {
		b.WriteString("file")
	} else {
		b.WriteString("document ")
		b.WriteString(strconv.Itoa(i.Document))
	}
	if i.Line > 0 {
		b.WriteString(", line ")
		b.WriteString(strconv.Itoa(i.Line))
	}
	if i.Path != "" {
		b.WriteString(", ")
		b.WriteString(i.Path)
	}
	b.WriteString(": ")
	b.WriteString(i.Message)
	if i.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(i.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// sortIssues orders issues by line, then path, then message, so reports are stable.
func sortIssues(issues []Issue) {
	slices.SortStableFunc(issues, func(a, b Issue) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
	})
}
