package resource

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Document is one YAML document of a file.
type Document struct {
	// Index is the 0-based position in the file, counting every document including empty ones. Documents
	// are counted as YAML parsers count them: every "---" line opens one (so "---" followed by nothing or
	// by comments only is an empty document that still takes an index), while text before the first "---"
	// (or after a "..." line) is a document only when it has content. A license header of comments before
	// the first "---" is therefore not a document; this matches the indexes of testdata/corpus/EXPECTED.json.
	Index int
	Line  int        // 1-based line where the document's content starts in the original file
	Raw   []byte     // the document's original bytes (without the --- separator line); aliases ParseFile's input
	Node  *yaml.Node // the parsed document node (kind DocumentNode); nil when Empty or when Err != nil
	Empty bool       // empty or comment-only: skipped, not an error
	Err   *Issue     // a syntax/limit error confined to this document
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseFile splits data into documents. It returns a file-level *Issue (non-nil error of type *Issue)
// when the whole file must be rejected: over MaxFileBytes, binary (NUL bytes), invalid UTF-8, too many
// documents. Otherwise each document is parsed on its own, so one broken document does not hide the
// others. A UTF-8 BOM is stripped; CRLF line ends are accepted (normalized to LF before parsing, line
// numbers unchanged). A zero field of lim means its default.
func ParseFile(data []byte, lim Limits) ([]Document, error) {
	lim = lim.withDefaults()
	if err := CheckSize(int64(len(data)), lim); err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, &Issue{
			Document: -1,
			Line:     1 + bytes.Count(data[:i], []byte{'\n'}),
			Code:     CodeBinary,
			Message:  fmt.Sprintf("file holds binary data (a NUL byte at offset %d), not YAML text", i),
			Hint:     "only UTF-8 YAML text belongs in an FGD; a UTF-16 file must be converted to UTF-8",
		}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return nil, &Issue{
			Document: -1,
			Line:     1 + bytes.Count(data[:off], []byte{'\n'}),
			Code:     CodeInvalidUTF8,
			Message:  fmt.Sprintf("file is not valid UTF-8 (first bad byte 0x%02x at offset %d)", data[off], off),
			Hint:     "save the file as UTF-8 (for example: iconv -f latin1 -t utf-8)",
		}
	}
	norm, chunks, ok := splitDocuments(data, lim.MaxDocuments)
	if !ok {
		return nil, &Issue{
			Document: -1,
			Code:     CodeTooLarge,
			Message:  fmt.Sprintf("file holds more than %d YAML documents", lim.MaxDocuments),
			Hint:     "split it into several files",
		}
	}
	docs := make([]Document, len(chunks))
	budget := lim.MaxNodes
	for i, c := range chunks {
		d := Document{Index: i, Raw: data[c.origStart:c.origEnd]}
		switch {
		case !c.hasContent:
			d.Empty = true
			d.Line = c.firstLine
			if c.explicit {
				d.Line = c.markerLine
			}
		case budget <= 0:
			d.Line = c.contentLine
			d.Err = &Issue{
				Document: i, Line: c.contentLine, Code: CodeTooLarge,
				Message: fmt.Sprintf("file holds more than %d YAML nodes (counting alias expansion); this document is past the limit", lim.MaxNodes),
				Hint:    "split the file into several files",
			}
		default:
			d.Line = c.contentLine
			offset := c.firstLine - 1
			if c.explicit {
				offset = c.markerLine - 1
			}
			node, used, iss := parseDocument(norm[c.normStart:c.normEnd], offset, lim, budget)
			budget -= used
			if iss != nil {
				iss.Document = i
				if iss.Line == 0 {
					iss.Line = c.contentLine
				}
				d.Err = iss
			} else if node == nil {
				d.Empty = true
			} else {
				d.Node = node
			}
		}
		docs[i] = d
	}
	return docs, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}

// parseDocument parses the text of one document. offset is added to yaml.v3's line numbers, which count
// from the start of text. It returns the document node and the number of nodes it used of budget.
func parseDocument(text []byte, offset int, lim Limits, budget int) (node *yaml.Node, used int, iss *Issue) {
	sh := prescan(text, lim.MaxDepth, budget)
	if sh.depthLine != 0 {
		return nil, 0, tooDeep(offset+sh.depthLine, lim.MaxDepth)
	}
	if sh.nodes > budget {
		return nil, 0, tooManyNodes(0, lim.MaxNodes)
	}
	var n yaml.Node
	if err := safeUnmarshal(text, &n); err != nil {
		return nil, 0, syntaxIssue(err, text, offset, lim.MaxDepth)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil, 0, nil
	}
	w := walker{offset: offset, maxDepth: lim.MaxDepth, maxNodes: lim.MaxNodes, budget: budget}
	st := w.visit(&n, 0)
	if w.err != nil {
		if w.err.Code == CodeTooLarge && w.raw <= budget {
			w.err.Code = CodeAliasBomb
			w.err.Message = fmt.Sprintf("aliases expand this document past the limit of %d YAML nodes", lim.MaxNodes)
			w.err.Hint = "write the values out instead of expanding aliases of aliases (this looks like a \"billion laughs\" alias bomb)"
		}
		return nil, 0, w.err
	}
	return &n, st.size, nil
}

// safeUnmarshal runs yaml.v3 and turns a panic of the parser into an error.
func safeUnmarshal(text []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this document: %v", r)
		}
	}()
	return yaml.Unmarshal(text, n)
}

func tooDeep(line, max int) *Issue {
	return &Issue{
		Line:    line,
		Code:    CodeTooDeep,
		Message: fmt.Sprintf("document is nested deeper than %d levels", max),
		Hint:    "fabric resources nest a few levels only; this file is malformed or hostile",
	}
}

func tooManyNodes(line, max int) *Issue {
	return &Issue{
		Line:    line,
		Code:    CodeTooLarge,
		Message: fmt.Sprintf("file holds more than %d YAML nodes", max),
		Hint:    "split the file into several files",
	}
}

// syntaxIssue turns a yaml.v3 error into an Issue with the line counted from the start of the file.
func syntaxIssue(err error, text []byte, offset, maxDepth int) *Issue {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, e := strconv.Atoi(num); e == nil {
				line, msg = n+offset, after
			}
		}
	}
	if strings.Contains(msg, "exceeded max depth") {
		return tooDeep(line, maxDepth)
	}
	if tl := tabIndentedLine(text); tl > 0 && (line == 0 || tl+offset <= line) {
		return &Issue{
			Line:    tl + offset,
			Code:    CodeSyntax,
			Message: fmt.Sprintf("line %d is indented with a tab character; YAML allows only spaces for indentation", tl+offset),
			Hint:    fmt.Sprintf("replace the tabs at the start of line %d with spaces", tl+offset),
		}
	}
	where := "the document"
	if line > 0 {
		where = "line " + strconv.Itoa(line)
	}
	return &Issue{
		Line:    line,
		Code:    CodeSyntax,
		Message: "the YAML does not parse: " + msg,
		Hint:    "fix the YAML syntax at " + where + " (indentation, quotes, colons); a YAML linter shows the exact spot",
	}
}

// tabIndentedLine returns the 1-based number of the first line whose indentation holds a tab before
// content, or 0.
func tabIndentedLine(text []byte) int {
	no := 0
	for len(text) > 0 {
		no++
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		tab := false
		for _, c := range line {
			if c == '\t' {
				tab = true
				continue
			}
			if c == ' ' {
				continue
			}
			if tab && c != '#' {
				return no
			}
			break
		}
	}
	return 0
}

// stat is the size and depth of a node once its aliases are expanded.
type stat struct{ size, depth int }

// walker moves parsed line numbers to file lines and measures a document with its aliases expanded,
// refusing it when it passes the depth or node limit or when an alias contains itself.
type walker struct {
	offset   int
	maxDepth int
	maxNodes int // the file's limit, for messages
	budget   int // what is left of it for this document
	raw      int // nodes as parsed, without expansion
	memo     map[*yaml.Node]stat
	open     map[*yaml.Node]bool
	err      *Issue
}

func (w *walker) visit(n *yaml.Node, level int) stat {
	if w.err != nil {
		return stat{}
	}
	if n.Alias != nil && n.Kind == yaml.AliasNode {
		if n.Line > 0 {
			n.Line += w.offset
		}
		w.raw++
		t := n.Alias
		if w.open[t] {
			w.err = &Issue{
				Line:    n.Line,
				Code:    CodeAliasBomb,
				Message: fmt.Sprintf("alias *%s refers to a node that contains it", n.Value),
				Hint:    "an alias cannot refer to its own ancestor; write the value out",
			}
			return stat{}
		}
		if s, ok := w.memo[t]; ok {
			return w.check(s, n.Line, level)
		}
		return w.visit(t, level)
	}
	if n.Anchor != "" {
		if s, ok := w.memo[n]; ok {
			return w.check(s, n.Line, level)
		}
		if w.open == nil {
			w.open = map[*yaml.Node]bool{}
			w.memo = map[*yaml.Node]stat{}
		}
		w.open[n] = true
		defer delete(w.open, n)
	}
	if n.Line > 0 {
		n.Line += w.offset
	}
	w.raw++
	s := stat{size: 1}
	childLevel := level
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		childLevel++
		if childLevel > w.maxDepth {
			w.err = tooDeep(n.Line, w.maxDepth)
			return stat{}
		}
	}
	maxChild := 0
	for _, c := range n.Content {
		cs := w.visit(c, childLevel)
		if w.err != nil {
			return stat{}
		}
		s.size += cs.size
		if s.size > w.budget {
			w.err = tooManyNodes(n.Line, w.maxNodes)
			return stat{}
		}
		maxChild = max(maxChild, cs.depth)
	}
	s.depth = maxChild
	if childLevel > level {
		s.depth++
	}
	if n.Anchor != "" {
		w.memo[n] = s
	}
	return w.check(s, n.Line, level)
}

// check applies the limits to a subtree measured elsewhere (an alias's target).
func (w *walker) check(s stat, line, level int) stat {
	if w.err != nil {
		return stat{}
	}
	if level+s.depth > w.maxDepth {
		w.err = tooDeep(line, w.maxDepth)
		return stat{}
	}
	if s.size > w.budget {
		w.err = tooManyNodes(line, w.maxNodes)
		return stat{}
	}
	return s
}
