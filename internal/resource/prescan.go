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
	var (
		sh          shape
		stack       []int // columns of open block collections
		flow        int   // open flow collections
		quote       byte  // open quoted scalar: '"' or '\''
		inBlock     bool  // inside a literal or folded block scalar
		blockParent int   // its content is every line indented more than this
	)
	push := func(col, line int) {
		if len(stack) == 0 || stack[len(stack)-1] < col {
			stack = append(stack, col)
			if d := len(stack) + flow; d > sh.depth {
				sh.depth = d
				if d > maxDepth && sh.depthLine == 0 {
					sh.depthLine = line
				}
			}
		}
	}
	lineNo := 0
	for pos := 0; pos < len(text); {
		end := pos
		for end < len(text) && text[end] != '\n' {
			end++
		}
		line := text[pos:end]
		pos = end + 1
		lineNo++
		if sh.depthLine != 0 || sh.nodes > maxNodes {
			break
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := trimSpace(line)
		if inBlock {
			if len(rest) == 0 || indent > blockParent {
				continue
			}
			inBlock = false
		}
		i := 0
		atNode := true
		keyCol := 0
		if quote == 0 && flow == 0 {
			if len(rest) == 0 || rest[0] == '#' || line[0] == '%' {
				continue
			}
			if len(line) >= 3 && line[0] == '-' && line[1] == '-' && line[2] == '-' && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
				i = 3 // a document start marker; what follows it is the document's root node
			} else {
				for len(stack) > 0 && stack[len(stack)-1] > indent {
					stack = stack[:len(stack)-1]
				}
				i = indent
			}
			keyCol = i
		} else {
			atNode = quote == 0
		}
		for ; i < len(line); i++ {
			c := line[i]
			if quote != 0 {
				switch {
				case quote == '"' && c == '\\':
					i++
				case c == quote && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
					i++
				case c == quote:
					quote = 0
				}
				continue
			}
			next := byte(' ')
			if i+1 < len(line) {
				next = line[i+1]
			}
			spaceNext := next == ' ' || next == '\t'
			switch {
			case c == ' ' || c == '\t':
				continue
			case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
				i = len(line)
			case atNode && (c == '"' || c == '\''):
				quote, atNode, keyCol = c, false, i
				sh.nodes++
			case atNode && (c == '[' || c == '{'):
				flow++
				sh.nodes++
				if d := len(stack) + flow; d > sh.depth {
					sh.depth = d
					if d > maxDepth && sh.depthLine == 0 {
						sh.depthLine = lineNo
					}
				}
			case flow > 0 && (c == ']' || c == '}'):
				flow--
				atNode = false
			case flow > 0 && c == ',':
				atNode = true
			case c == ':' && (spaceNext || (flow > 0 && (next == ',' || next == ']' || next == '}'))):
				if flow == 0 {
					push(keyCol, lineNo)
				}
				atNode = true
			case atNode && flow == 0 && (c == '-' || c == '?') && spaceNext:
				push(i, lineNo)
				keyCol = i + 2
			case atNode && flow == 0 && (c == '|' || c == '>'):
				inBlock = true
				blockParent = -1
				if len(stack) > 0 {
					blockParent = stack[len(stack)-1]
				}
				i = len(line)
			case atNode && (c == '&' || c == '!' || c == '*'):
				for i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' && (flow == 0 || (line[i+1] != ',' && line[i+1] != ']' && line[i+1] != '}')) {
					i++
				}
				atNode = c != '*'
			default:
				if atNode {
					keyCol = i
					atNode = false
					sh.nodes++
				}
			}
		}
		// A quoted scalar or flow collection left open continues on the next line.
	}
	return sh
}
