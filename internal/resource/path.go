package resource

import (
	"strconv"
	"strings"
)

// seg is one step of a field path: a mapping key, or a sequence index when isIndex.
type seg struct {
	key     string
	index   int
	isIndex bool
}

// renderPath writes a path the way kubectl does: spec.subnets.default, spec.links[0].switch. A key that
// would make the path ambiguous (holding '.', '[', ']', a space, or empty) is written as ["key"].
func renderPath(segs []seg) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case s.key == "" || strings.ContainsAny(s.key, ".[] \t\""):
			b.WriteString("[")
			b.WriteString(strconv.Quote(s.key))
			b.WriteString("]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// joinPath renders segs followed by one more key.
func joinPath(segs []seg, key string) string {
	return renderPath(append(segs[:len(segs):len(segs)], seg{key: key}))
}
