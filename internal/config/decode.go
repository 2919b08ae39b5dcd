package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes the decoder visits, aliases included, so a
// small file whose aliases multiply into a huge tree costs an error, not
// memory.
const maxNodes = 100_000

// decoder walks a yaml.Node tree against the config structs (by their yaml
// tags) and collects every unknown key and wrong type instead of stopping at
// the first, recording the line of each field path for later messages.
type decoder struct {
	*problems
	lines   map[string]int
	bad     map[string]bool // paths whose value could not be decoded
	visited int             // nodes and keys seen, aliases included, against maxNodes
}

// wrongValue reports a value that could not be decoded and marks its path,
// so that the validator does not report the same field again (a command
// given as a string is "expected a list", not also "needs a program").
func (d *decoder) wrongValue(line int, path, format string, args ...any) {
	d.bad[path] = true
	d.add(line, path, format, args...)
}

func (d *decoder) record(path string, line int) {
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = line
	}
}

// decode sets v from n. v must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.visit(n, path) {
		return
	}
	line := n.Line
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 16 {
			d.wrongValue(line, path, "alias %q does not resolve to a value", n.Value)
			return
		}
		n = n.Alias
	}
	d.record(path, line)
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"

	switch t := v.Type(); {
	case t == reflect.TypeFor[time.Duration]():
		if !null && d.expectScalar(n, path, "a duration such as 30s or 5m") {
			d.duration(n, v, path)
		}
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		// A bare "git:" means "git with its defaults", so null allocates too.
		if v.IsNil() {
			v.Set(newWithDefaults(t.Elem()))
		}
		if !null {
			d.decode(n, v.Elem(), path)
		}
	case t.Kind() == reflect.Struct:
		if !null && d.expect(n, yaml.MappingNode, path, "a mapping of keys") {
			d.structure(n, v, path)
		}
	case t.Kind() == reflect.Slice:
		if !null && d.expect(n, yaml.SequenceNode, path, "a list") {
			d.list(n, v, path)
		}
	case t.Kind() == reflect.Map:
		if !null && d.expect(n, yaml.MappingNode, path, "a mapping of names to strings") {
			d.dict(n, v, path)
		}
	case t.Kind() == reflect.String:
		if null {
			v.SetString("")
		} else if d.expectScalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case t.Kind() == reflect.Bool:
		var b bool
		if !null && d.expectScalar(n, path, "true or false") {
			if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
				d.wrongValue(n.Line, path, "expected true or false, got %s", describe(n))
				return
			}
			v.SetBool(b)
		}
	case t.Kind() == reflect.Int:
		var i int
		if !null && d.expectScalar(n, path, "a whole number") {
			if n.ShortTag() != "!!int" || n.Decode(&i) != nil {
				d.wrongValue(n.Line, path, "expected a whole number, got %s", describe(n))
				return
			}
			v.SetInt(int64(i))
		}
	default:
		// Unreachable with the config structs; a new field type needs a case.
		d.add(n.Line, path, "internal error: no decoder for %s", t)
	}
}

// visit counts a node or key against maxNodes and reports whether the
// decoder may go on.
func (d *decoder) visit(n *yaml.Node, path string) bool {
	d.visited++
	if d.visited == maxNodes+1 {
		d.add(n.Line, path, "more than %d YAML nodes and keys (aliases included): the config is far too large; expand fewer aliases", maxNodes)
	}
	return d.visited <= maxNodes
}

func (d *decoder) expect(n *yaml.Node, kind yaml.Kind, path, want string) bool {
	if n.Kind == kind {
		return true
	}
	d.wrongValue(n.Line, path, "expected %s, got %s", want, describe(n))
	return false
}

func (d *decoder) expectScalar(n *yaml.Node, path, want string) bool {
	return d.expect(n, yaml.ScalarNode, path, want)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		if n.ShortTag() == "!!int" || n.ShortTag() == "!!float" {
			d.wrongValue(n.Line, path, "duration %q has no unit: write e.g. %s", clip(n.Value), unitHint(path, clip(n.Value)))
		} else {
			d.wrongValue(n.Line, path, "invalid duration %q: use a number with a unit, e.g. 500ms, 30s, 5m, 1h", clip(n.Value))
		}
		return
	}
	v.SetInt(int64(dur))
}

// structure decodes a mapping into the struct v, field by field.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.visit(k, path) {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			d.add(k.Line, path, "duplicate key %q (first set at line %d)", key, first)
			continue
		}
		seen[key] = k.Line
		idx, ok := fields.index[key]
		if !ok {
			d.unknownKey(k, path, fields)
			continue
		}
		fp := join(path, key)
		d.record(fp, k.Line)
		d.decode(val, v.Field(idx), fp)
	}
}

func (d *decoder) unknownKey(k *yaml.Node, path string, fields structFields) {
	if d.full() {
		d.dropped++
		return
	}
	key := k.Value
	where := path
	if where == "" {
		where = "the top level"
	}
	switch {
	case key == "<<":
		d.add(k.Line, path, "YAML merge keys (<<) are not supported; write the keys out")
	case looksSecret(key):
		// The value is never looked at, let alone printed.
		d.add(k.Line, path, "inline secret %q is not allowed: secrets are only read from files; %s", clip(key), secretFileHint(key, fields.names))
	default:
		msg := fmt.Sprintf("unknown key %q in %s", clip(key), where)
		if s := didYouMean(key, fields.names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf(" (known keys: %s)", strings.Join(fields.names, ", "))
		}
		d.add(k.Line, path, "%s", msg)
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		ev := reflect.New(v.Type().Elem())
		if df, ok := ev.Interface().(defaulter); ok {
			df.applyDefaults()
		}
		d.decode(item, ev.Elem(), fmt.Sprintf("%s[%d]", path, i))
		out = reflect.Append(out, ev.Elem())
	}
	v.Set(out)
}

// dict decodes a mapping into a map[string]string.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.visit(k, path) {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k.Line, path, "duplicate key %q (first set at line %d)", clip(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		fp := join(path, k.Value)
		d.record(fp, k.Line)
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, ev, fp)
		out.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
	}
	v.Set(out)
}

// newWithDefaults returns a pointer to a new t with its defaults applied.
func newWithDefaults(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	if df, ok := p.Interface().(defaulter); ok {
		df.applyDefaults()
	}
	return p
}

type structFields struct {
	index map[string]int
	names []string // in declaration order, for messages
}

func fieldsOf(t reflect.Type) structFields {
	sf := structFields{index: map[string]int{}}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		sf.index[name] = i
		sf.names = append(sf.names, name)
	}
	return sf
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe names what a node is, for "expected X, got Y" messages. It shows
// a scalar's value only when it is short; a long value could be a pasted
// secret.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		noun := map[string]string{
			"!!str": "string", "!!int": "number", "!!float": "number",
			"!!bool": "boolean", "!!timestamp": "timestamp",
		}[n.ShortTag()]
		switch {
		case n.ShortTag() == "!!null":
			return "null"
		case noun == "":
			return "a value tagged " + strconv.Quote(clip(n.Tag))
		case len(n.Value) > 24:
			return fmt.Sprintf("a %s of %d characters", noun, len(n.Value))
		}
		return fmt.Sprintf("the %s %q", noun, n.Value)
	}
	return "an empty value"
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// unitHint suggests units for a bare number given as a duration, the
// likeliest first: milliseconds for a debounce or settle time (their
// defaults are in ms) and for numbers of 100 and more (250 is 250ms far
// more often than 250 minutes), else seconds or minutes.
func unitHint(path, num string) string {
	key := path[strings.LastIndex(path, ".")+1:]
	f, _ := strconv.ParseFloat(num, 64)
	switch {
	case key == "debounce" || key == "settle":
		return num + "ms"
	case f >= 100:
		return num + "ms or " + num + "s"
	}
	return num + "s or " + num + "m"
}
