package resource

// This file estimates, without parsing, how deep and how large a document is, so that hostile input
// (100,000 nested "[" or "- ") is refused before the YAML parser builds it. The estimate is meant to be a
// lower bound of the true nesting depth: it only counts a level where the text certainly opens a
// collection, so a valid document is never refused by it. The exact check runs on the parsed nodes.

// shape is what prescan found.
type shape struct {
	depth     int // nesting depth estimate (collections)
	depthLine int // 1-based line (within the text) where the estimate first passed the limit
	nodes     int // node count estimate
}

// prescan scans text (LF line ends) and stops early once the depth estimate passes maxDepth or the node
// estimate passes maxNodes.
func prescan(text []byte, maxDepth, maxNodes int) shape {
	s := scanner{maxDepth: maxDepth}
	for pos := 0; pos < len(text); {
		end := pos
		for end < len(text) && text[end] != '\n' {
			end++
		}
		line := text[pos:end]
		pos = end + 1
		s.lineNo++
		if s.sh.depthLine != 0 || s.sh.nodes > maxNodes {
			break
		}
		s.scanLine(line)
		// A quoted scalar or flow collection left open continues on the next line.
	}
	return s.sh
}

// scanner is prescan's state between lines.
type scanner struct {
	sh          shape
	maxDepth    int
	lineNo      int   // 1-based number of the line being scanned
	stack       []int // columns of open block collections
	flow        int   // open flow collections
	quote       byte  // open quoted scalar: '"' or '\''
	inBlock     bool  // inside a literal or folded block scalar
	blockParent int   // its content is every line indented more than this
	atNode      bool  // the next token starts a node
	keyCol      int   // column of the current mapping key
}

// deeper records a new depth estimate.
func (s *scanner) deeper() {
	if d := len(s.stack) + s.flow; d > s.sh.depth {
		s.sh.depth = d
		if d > s.maxDepth && s.sh.depthLine == 0 {
			s.sh.depthLine = s.lineNo
		}
	}
}

// push opens a block collection at col, unless one is open there already.
func (s *scanner) push(col int) {
	if len(s.stack) == 0 || s.stack[len(s.stack)-1] < col {
		s.stack = append(s.stack, col)
		s.deeper()
	}
}

// scanLine scans one line: its indentation closes block collections, then
// its characters are taken one token at a time.
func (s *scanner) scanLine(line []byte) {
	i, ok := s.lineStart(line)
	if !ok {
		return
	}
	for ; i < len(line); i++ {
		i = s.scanChar(line, i)
	}
}

// lineStart handles what a line's start decides: the end of a block
// scalar, blank and comment lines, a document marker and the block
// collections its indentation closes. It returns where scanning goes on, or
// false when the line holds nothing to scan.
func (s *scanner) lineStart(line []byte) (int, bool) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	rest := trimSpace(line)
	if s.inBlock {
		if len(rest) == 0 || indent > s.blockParent {
			return 0, false
		}
		s.inBlock = false
	}
	s.atNode, s.keyCol = true, 0
	if s.quote != 0 || s.flow != 0 {
		s.atNode = s.quote == 0
		return 0, true
	}
	if len(rest) == 0 || rest[0] == '#' || line[0] == '%' {
		return 0, false
	}
	i := indent
	if len(line) >= 3 && line[0] == '-' && line[1] == '-' && line[2] == '-' && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
		i = 3 // a document start marker; what follows it is the document's root node
	} else {
		for len(s.stack) > 0 && s.stack[len(s.stack)-1] > indent {
			s.stack = s.stack[:len(s.stack)-1]
		}
	}
	s.keyCol = i
	return i, true
}

// scanChar takes the token at line[i] and returns the index of its last
// character.
func (s *scanner) scanChar(line []byte, i int) int {
	c := line[i]
	if s.quote != 0 {
		return s.inQuote(line, i)
	}
	next := byte(' ')
	if i+1 < len(line) {
		next = line[i+1]
	}
	spaceNext := next == ' ' || next == '\t'
	switch {
	case c == ' ' || c == '\t':
	case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
		return len(line)
	case s.atNode && (c == '"' || c == '\''):
		s.quote, s.atNode, s.keyCol = c, false, i
		s.sh.nodes++
	case s.atNode && (c == '[' || c == '{'):
		s.flow++
		s.sh.nodes++
		s.deeper()
	case s.flow > 0 && (c == ']' || c == '}'):
		s.flow--
		s.atNode = false
	case s.flow > 0 && c == ',':
		s.atNode = true
	case c == ':' && (spaceNext || (s.flow > 0 && (next == ',' || next == ']' || next == '}'))):
		if s.flow == 0 {
			s.push(s.keyCol)
		}
		s.atNode = true
	case s.atNode && s.flow == 0 && (c == '-' || c == '?') && spaceNext:
		s.push(i)
		s.keyCol = i + 2
	case s.atNode && s.flow == 0 && (c == '|' || c == '>'):
		s.inBlock = true
		s.blockParent = -1
		if len(s.stack) > 0 {
			s.blockParent = s.stack[len(s.stack)-1]
		}
		return len(line)
	case s.atNode && (c == '&' || c == '!' || c == '*'):
		return s.nodeProperty(line, i, c)
	default:
		if s.atNode {
			s.keyCol = i
			s.atNode = false
			s.sh.nodes++
		}
	}
	return i
}

// inQuote takes line[i] inside a quoted scalar.
func (s *scanner) inQuote(line []byte, i int) int {
	c := line[i]
	switch {
	case s.quote == '"' && c == '\\':
		i++
	case c == s.quote && s.quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
		i++
	case c == s.quote:
		s.quote = 0
	}
	return i
}

// nodeProperty skips an anchor, a tag or an alias starting at line[i]; a
// node follows an anchor or a tag, not an alias.
func (s *scanner) nodeProperty(line []byte, i int, c byte) int {
	for i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' && (s.flow == 0 || (line[i+1] != ',' && line[i+1] != ']' && line[i+1] != '}')) {
		i++
	}
	s.atNode = c != '*'
	return i
}
