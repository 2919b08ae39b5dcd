package resource

// This file cuts a YAML stream into its documents without parsing it, so that each document can be
// parsed (and fail) on its own. YAML forbids "---" and "..." at the start of a line inside any scalar,
// so a line scan finds exactly the document boundaries a YAML parser would.

// chunk is one document's place in the file.
type chunk struct {
	explicit    bool // opened by a "---" line
	hasContent  bool // holds something other than blank lines, comments and directives
	markerLine  int  // 1-based line of the "---" line; 0 when implicit
	firstLine   int  // 1-based first line of the document's text (the line after "---", or the "---" line when it carries content)
	contentLine int  // 1-based line of the first content
	origStart   int  // Raw: byte offsets into the original data
	origEnd     int
	normStart   int // parse text: byte offsets into the normalized (LF-only) data, from the "---" line on
	normEnd     int
}

// lineInfo is one line of the file: its number, its LF-normalized text and where it sits in the original.
type lineInfo struct {
	no                   int
	text                 []byte // without the line break
	normStart, normEnd   int    // normEnd includes the '\n'
	origStart, origEnd   int    // origEnd includes the line break
	marker               byte   // '-' for a "---" line, '.' for a "..." line, 0 otherwise
	markerHasContent     bool   // a "---" line followed by more than a comment
	isContent, directive bool
}

// normalizeLines turns CRLF and lone CR into LF (YAML counts all three as one line break, so line numbers
// are unchanged) and calls fn for each line. It returns the normalized data.
func normalizeLines(data []byte, fn func(l *lineInfo) bool) []byte {
	norm := data
	copied := false
	var l lineInfo
	pos, out := 0, 0
	for no := 1; pos < len(data); no++ {
		end := pos
		for end < len(data) && data[end] != '\n' && data[end] != '\r' {
			end++
		}
		brk := 0
		if end < len(data) {
			brk = 1
			if data[end] == '\r' {
				if !copied {
					norm = make([]byte, pos, len(data))
					copy(norm, data[:pos])
					copied = true
				}
				if end+1 < len(data) && data[end+1] == '\n' {
					brk = 2
				}
			}
		}
		if copied {
			norm = append(norm, data[pos:end]...)
			if brk > 0 {
				norm = append(norm, '\n')
			}
		}
		textLen := end - pos
		l = lineInfo{no: no, origStart: pos, origEnd: end + brk, normStart: out}
		out += textLen
		if brk > 0 {
			out++
		}
		l.normEnd = out
		l.text = data[pos:end]
		classifyLine(&l)
		pos = end + brk
		if !fn(&l) {
			break
		}
	}
	if copied {
		return norm
	}
	return data
}

// classifyLine sets the marker, content and directive flags of l.
func classifyLine(l *lineInfo) {
	t := l.text
	if len(t) >= 3 && (t[0] == '-' || t[0] == '.') && t[1] == t[0] && t[2] == t[0] && (len(t) == 3 || t[3] == ' ' || t[3] == '\t') {
		l.marker = t[0]
		rest := trimSpace(t[3:])
		l.markerHasContent = t[0] == '-' && len(rest) > 0 && rest[0] != '#'
		return
	}
	s := trimSpace(t)
	switch {
	case len(s) == 0 || s[0] == '#':
	case t[0] == '%':
		l.directive = true
	default:
		l.isContent = true
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// splitDocuments returns the normalized data and the documents of data, stopping (ok=false) when there are
// more than maxDocs. A document exists for every "---" line, and for text before the first "---" (or after
// a "..." line) only when that text has content: comments alone before a "---" are not a document, exactly
// as YAML parsers count documents.
func splitDocuments(data []byte, maxDocs int) (norm []byte, docs []chunk, ok bool) {
	ok = true
	cur := chunk{firstLine: 1}
	open := func(l *lineInfo) {
		cur = chunk{firstLine: l.no + 1, origStart: l.origEnd, normStart: l.normEnd}
		if l.marker == '-' {
			cur.explicit = true
			cur.markerLine = l.no
			cur.normStart = l.normStart
			if l.markerHasContent {
				cur.firstLine = l.no
				cur.origStart = l.origStart
				cur.hasContent = true
				cur.contentLine = l.no
			}
		}
	}
	closeAt := func(l *lineInfo) bool {
		if l != nil {
			cur.origEnd, cur.normEnd = l.origStart, l.normStart
		}
		if cur.explicit || cur.hasContent {
			if len(docs) >= maxDocs {
				ok = false
				return false
			}
			docs = append(docs, cur)
		}
		return true
	}
	norm = normalizeLines(data, func(l *lineInfo) bool {
		if l.marker != 0 {
			if !closeAt(l) {
				return false
			}
			open(l)
			return true
		}
		if l.isContent && !cur.hasContent {
			cur.hasContent = true
			cur.contentLine = l.no
		}
		return true
	})
	if !ok {
		return norm, docs, false
	}
	cur.origEnd, cur.normEnd = len(data), len(norm)
	closeAt(nil)
	return norm, docs, ok
}
