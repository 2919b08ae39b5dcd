package resource

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// This file is a fast path for encoding managed files. yaml.v3's emitter queues a large event per node
// and dominates the cost of normalizing; for the common shape of a fabric resource (no comments, simple
// scalars) fastEncode writes exactly the bytes yaml.v3's Encoder with indent 2 would write, and says
// "not mine" (ok=false) for anything else, which then goes through yaml.v3. The tests and FuzzPipeline
// compare both encoders byte for byte.

// fastEncode encodes the mapping top as a document, or returns ok=false.
func fastEncode(top *yaml.Node) (out []byte, ok bool) {
	e := fastEmitter{buf: make([]byte, 0, 1024)}
	if top.Kind != yaml.MappingNode || len(top.Content) == 0 || top.Style&yaml.FlowStyle != 0 || !e.blockMapping(top, 0, false) {
		return nil, false
	}
	return e.buf, true
}

type fastEmitter struct{ buf []byte }

func (e *fastEmitter) indent(n int) {
	for i := 0; i < n; i++ {
		e.buf = append(e.buf, ' ')
	}
}

// plain reports whether n is a comment-free node without anchor or explicit tag.
func plain(n *yaml.Node) bool {
	return n.HeadComment == "" && n.LineComment == "" && n.FootComment == "" && basic(n)
}

// basic reports whether n has no anchor or explicit tag and is no alias: the only nodes the fast path
// writes. Their comments are checked where they are written.
func basic(n *yaml.Node) bool {
	return n.Anchor == "" && n.Style&yaml.TaggedStyle == 0 && n.Kind != yaml.AliasNode
}

// headComment writes a head comment above a key or item at column ind. Only comment lines are taken
// (no blank lines inside), as yaml.v3 writes them one per line.
func (e *fastEmitter) headComment(c string, ind int) bool {
	for len(c) > 0 {
		line := c
		if i := strings.IndexByte(c, '\n'); i >= 0 {
			line, c = c[:i], c[i+1:]
		} else {
			c = ""
		}
		if !commentLine(line) {
			return false
		}
		e.indent(ind)
		e.buf = append(e.buf, line...)
		e.buf = append(e.buf, '\n')
	}
	return true
}

// lineComment writes " # ..." after a value.
func (e *fastEmitter) lineComment(c string) bool {
	if c == "" {
		return true
	}
	if !commentLine(c) {
		return false
	}
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, c...)
	return true
}

// commentLine accepts one "#" comment line of printable ASCII or UTF-8 text without control characters.
func commentLine(l string) bool {
	if l == "" || l[0] != '#' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if l[i] < ' ' || l[i] == 0x7f {
			return false
		}
	}
	return true
}

// blockMapping writes the pairs of m at column ind. inline means the first key continues a "- " already
// written.
func (e *fastEmitter) blockMapping(m *yaml.Node, ind int, inline bool) bool {
	if !plain(m) {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !basic(k) || k.Kind != yaml.ScalarNode || k.FootComment != "" {
			return false
		}
		if k.HeadComment != "" && (inline && i == 0 || !e.headComment(k.HeadComment, ind)) {
			return false // yaml.v3 writes the head comment of an item's first key after the "- "
		}
		if !inline || i > 0 {
			e.indent(ind)
		}
		if !e.scalar(k, false, true) {
			return false
		}
		e.buf = append(e.buf, ':')
		if k.LineComment != "" {
			// yaml.v3 writes a key's line comment after the colon when a block collection follows.
			if !blockCollection(v) || !e.lineComment(k.LineComment) {
				return false
			}
		}
		if !e.blockValue(v, ind, false) {
			return false
		}
	}
	return true
}

// blockCollection reports whether n is written in block style (a non-empty collection not in flow style).
func blockCollection(n *yaml.Node) bool {
	return (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) > 0 && n.Style&yaml.FlowStyle == 0
}

// blockValue writes the value of a mapping pair (inSeq=false, after "key:") or a sequence item
// (inSeq=true, after "-"), then the line end.
func (e *fastEmitter) blockValue(v *yaml.Node, ind int, inSeq bool) bool {
	if !basic(v) || v.HeadComment != "" || v.FootComment != "" || v.LineComment != "" && blockCollection(v) {
		return false
	}
	switch {
	case v.Kind == yaml.ScalarNode:
		e.buf = append(e.buf, ' ')
		if !e.scalar(v, false, false) {
			return false
		}
	case v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode:
		return false
	case len(v.Content) == 0 || v.Style&yaml.FlowStyle != 0:
		e.buf = append(e.buf, ' ')
		if !e.flowCollection(v) {
			return false
		}
	case v.Kind == yaml.MappingNode && inSeq:
		e.buf = append(e.buf, ' ')
		return e.blockMapping(v, ind+2, true)
	case v.Kind == yaml.MappingNode:
		e.buf = append(e.buf, '\n')
		return e.blockMapping(v, ind+2, false)
	case inSeq:
		e.buf = append(e.buf, ' ')
		return e.blockSequence(v, ind+2, true)
	default:
		e.buf = append(e.buf, '\n')
		return e.blockSequence(v, ind+2, false)
	}
	if !e.lineComment(v.LineComment) {
		return false
	}
	e.buf = append(e.buf, '\n')
	return true
}

func (e *fastEmitter) blockSequence(s *yaml.Node, ind int, inline bool) bool {
	for i, item := range s.Content {
		if item.HeadComment != "" {
			if inline && i == 0 || !basic(item) || !e.headComment(item.HeadComment, ind) {
				return false
			}
			c := *item
			c.HeadComment = ""
			item = &c
		}
		if !inline || i > 0 {
			e.indent(ind)
		}
		e.buf = append(e.buf, '-')
		if !e.blockValue(item, ind, true) {
			return false
		}
	}
	return true
}

// flowCollection writes a collection in flow style; its own line comment is the caller's.
func (e *fastEmitter) flowCollection(n *yaml.Node) bool {
	c := *n
	c.LineComment = ""
	return e.flow(&c)
}

// flow writes a node in flow style.
func (e *fastEmitter) flow(n *yaml.Node) bool {
	if !plain(n) {
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return e.scalar(n, true, false)
	case yaml.SequenceNode:
		e.buf = append(e.buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',', ' ')
			}
			if !e.flow(c) {
				return false
			}
		}
		e.buf = append(e.buf, ']')
		return true
	case yaml.MappingNode:
		e.buf = append(e.buf, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				e.buf = append(e.buf, ',', ' ')
			}
			k, v := n.Content[i], n.Content[i+1]
			if !plain(k) || k.Kind != yaml.ScalarNode || !e.scalar(k, true, true) {
				return false
			}
			e.buf = append(e.buf, ':', ' ')
			if !e.flow(v) {
				return false
			}
		}
		e.buf = append(e.buf, '}')
		return true
	}
	return false
}

// maxSimpleKey is the length past which yaml.v3 writes a key in the explicit "? key" form.
const maxSimpleKey = 128

// scalar writes a scalar the way yaml.v3 would, for values of the simple character set only.
func (e *fastEmitter) scalar(n *yaml.Node, inFlow, isKey bool) bool {
	v := n.Value
	if !simpleChars(v) || (isKey && len(v) > maxSimpleKey) {
		return false
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, v...)
		e.buf = append(e.buf, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		e.buf = append(e.buf, '\'')
		e.buf = append(e.buf, v...)
		e.buf = append(e.buf, '\'')
	case n.Style != 0 || v == "":
		return false
	default:
		// yaml.v3 writes a plain node plain when its analysis allows and the text reads back with the
		// node's tag (else it quotes a string, or writes the tag).
		if !plainAllowed(v, inFlow) || !readsBackAs(n.ShortTag(), v) {
			return false
		}
		e.buf = append(e.buf, v...)
	}
	return true
}

// simpleChars reports whether s holds only ASCII letters, digits, spaces and -._/:+,() — characters that
// never need escaping in quotes, so the fast path can reason about them exactly.
func simpleChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ' ', c == '-', c == '.', c == '_', c == '/', c == ':', c == '+', c == ',', c == '(', c == ')':
		default:
			return false
		}
	}
	return true
}

// plainAllowed mirrors yaml.v3's scalar analysis for simpleChars values.
func plainAllowed(v string, inFlow bool) bool {
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	if len(v) >= 3 && (v[:3] == "---" || v[:3] == "...") {
		return false
	}
	for i := 0; i < len(v); i++ {
		followedBySpace := i+1 >= len(v) || v[i+1] == ' '
		switch v[i] {
		case ',':
			if i == 0 || inFlow {
				return false
			}
		case ':':
			if inFlow || followedBySpace {
				return false
			}
		case '-':
			if i == 0 && followedBySpace {
				return false
			}
		}
	}
	return true
}

// readsBackAs reports, conservatively, whether the plain text v of a simpleChars scalar resolves to tag
// in yaml.v3: a string must not look like a number, a timestamp, a boolean or null; the other core
// types must look like themselves. Unsure answers are false and send the document to yaml.v3.
func readsBackAs(tag, v string) bool {
	numeric := numberChars(v)
	stamp := len(v) >= 5 && isDigit(v[0]) && isDigit(v[1]) && isDigit(v[2]) && isDigit(v[3]) && v[4] == '-'
	word := false
	switch strings.ToLower(v) {
	case "true", "false", "null", ".inf", "+.inf", "-.inf", ".nan":
		word = true
	}
	switch tag {
	case "!!str":
		// No YAML int or float holds two dots, so IPv4 addresses read back as strings.
		return (!numeric || strings.Count(v, ".") >= 2) && !stamp && !word
	case "!!int":
		return decimalInt(v)
	case "!!float":
		switch strings.TrimLeft(v, "+-") {
		case ".inf", ".Inf", ".INF":
			return true
		case ".nan", ".NaN", ".NAN":
			return v[0] == '.'
		}
		return !decimalInt(v) && decimalFloat(v) && !strings.HasPrefix(strings.TrimLeft(v, "+-"), "0")
	case "!!bool":
		return v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE"
	case "!!null":
		return v == "null" || v == "Null" || v == "NULL"
	}
	return false
}

// decimalInt matches [-+]?(0|[1-9][0-9]*): decimal integers, without the leading zeros that make
// yaml.v3 read octal.
func decimalInt(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	if v == "" || (v[0] == '0' && len(v) > 1) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return false
		}
	}
	return true
}

// decimalFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, yaml.v3's float syntax.
func decimalFloat(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	i, digits := 0, 0
	for i < len(v) && isDigit(v[i]) {
		i++
		digits++
	}
	if i < len(v) && v[i] == '.' {
		i++
		frac := 0
		for i < len(v) && isDigit(v[i]) {
			i++
			frac++
		}
		if digits == 0 && frac == 0 {
			return false
		}
	} else if digits == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '-' || v[i] == '+') {
			i++
		}
		exp := 0
		for i < len(v) && isDigit(v[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(v)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberChars reports whether s is made only of characters a YAML number can hold, with a digit among
// them (the words .inf and .nan are checked apart).
func numberChars(s string) bool {
	if strings.IndexAny(s, "0123456789") < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || strings.IndexByte("xXoO_.+-", c) >= 0) {
			return false
		}
	}
	return true
}
