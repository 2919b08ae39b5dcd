package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
)

// The operator docs, relative to this package.
const (
	configDoc     = "../../docs/configuration.md"
	operationsDoc = "../../docs/operations.md"
)

// refKey is one configuration key as the structs define it.
type refKey struct {
	path string // fabrics[].source.git.interval
	typ  string // the type as the reference words it
	// composite keys (mappings and lists of mappings) have no default of
	// their own to check.
	composite bool
}

// configKeys walks t by its yaml tags and lists every key below prefix.
func configKeys(t reflect.Type, prefix string) []refKey {
	var out []refKey
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		k := refKey{path: p, typ: refType(ft)}
		switch {
		case ft.Kind() == reflect.Struct:
			k.composite = true
			out = append(out, k)
			out = append(out, configKeys(ft, p)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			k.composite = true
			out = append(out, k)
			out = append(out, configKeys(ft.Elem(), p+"[]")...)
		default:
			out = append(out, k)
		}
	}
	return out
}

// refType words a field's type the way the reference's Type column does.
func refType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.Int:
		return "integer"
	case t.Kind() == reflect.Struct:
		return "mapping"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "list of mappings"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list of strings"
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
		return "map of strings"
	}
	return "unknown type " + t.String()
}

// docRow is one row of a key table in the reference.
type docRow struct {
	line                 int
	path, typ, defaultIs string
}

var keyRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|")

// docRows parses every table row of the reference whose first cell is a
// key in backquotes.
func docRows(text string) ([]docRow, error) {
	var rows []docRow
	for i, l := range strings.Split(text, "\n") {
		m := keyRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		if len(cells) < 4 {
			return nil, fmt.Errorf("line %d: a key row needs 4 cells (key, type, default, description), has %d: %s", i+1, len(cells), l)
		}
		rows = append(rows, docRow{line: i + 1, path: m[1], typ: strings.TrimSpace(cells[1]), defaultIs: strings.TrimSpace(cells[2])})
	}
	return rows, nil
}

// checkReference compares the keys of the structs with the rows of the
// reference and returns every mismatch: a key without a row, a row without
// a key, a row given twice, or a wrong type.
func checkReference(keys []refKey, rows []docRow) []string {
	var problems []string
	byPath := map[string]docRow{}
	for _, r := range rows {
		if first, dup := byPath[r.path]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is documented twice (first on line %d)", r.line, r.path, first.line))
			continue
		}
		byPath[r.path] = r
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k.path] = true
		r, ok := byPath[k.path]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("key %s (%s) is not documented", k.path, k.typ))
		case r.typ != k.typ:
			problems = append(problems, fmt.Sprintf("line %d: %s has type %q, the struct says %q", r.line, k.path, r.typ, k.typ))
		}
	}
	for _, r := range rows {
		if !known[r.path] {
			problems = append(problems, fmt.Sprintf("line %d: %s is documented but is no configuration key", r.line, r.path))
		}
	}
	return problems
}

// TestConfigReferenceChecker shows that the check fails both ways, so that
// TestConfigReference cannot pass by accident.
func TestConfigReferenceChecker(t *testing.T) {
	keys := []refKey{{path: "listen", typ: "string"}, {path: "log", typ: "mapping", composite: true}, {path: "log.level", typ: "string"}}
	full := []docRow{{1, "listen", "string", "`x`"}, {2, "log", "mapping", "—"}, {3, "log.level", "string", "`info`"}}
	for _, tc := range []struct {
		name string
		rows []docRow
		want string // a substring of the one problem expected; "" for none
	}{
		{"complete", full, ""},
		{"undocumented key", full[:2], "log.level (string) is not documented"},
		{"documented key that does not exist", append(slices.Clone(full), docRow{4, "log.colour", "string", "none"}), "log.colour is documented but is no configuration key"},
		{"wrong type", []docRow{full[0], full[1], {3, "log.level", "integer", "`1`"}}, `has type "integer"`},
		{"documented twice", append(slices.Clone(full), full[0]), "listen is documented twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkReference(keys, tc.rows)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("want no problem, got %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("want one problem with %q, got %q", tc.want, got)
			}
		})
	}
}

// TestConfigReference checks docs/configuration.md against the
// configuration structs: every key documented, every documented key real,
// types and defaults right.
func TestConfigReference(t *testing.T) {
	text, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := docRows(string(text))
	if err != nil {
		t.Fatalf("%s: %v", configDoc, err)
	}
	keys := configKeys(reflect.TypeFor[config.Config](), "")
	if len(keys) < 40 {
		t.Fatalf("the struct walk found only %d keys: is the walker broken?", len(keys))
	}
	for _, p := range checkReference(keys, rows) {
		t.Errorf("%s: %s", configDoc, p)
	}
	t.Logf("%d keys, %d documented", len(keys), len(rows))

	// Defaults: parse a configuration that names only required keys, with
	// one of each source and sink kind, and compare what the code filled in
	// with the Default column.
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`
fabrics:
  - name: g
    source: {git: {url: "https://git.example/org/fabric.git"}}
    sinks:
      - directory: {path: /srv/fabrics/g}
      - exec: {command: ["true"]}
      - kubernetes: {kubeconfig_file: `+kubeconfig+`}
  - name: d
    source: {dir: {path: /srv/fgd/d}}
`), "minimal.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	actual := map[string]reflect.Value{}
	collectValues(reflect.ValueOf(cfg).Elem(), "", actual)
	byPath := map[string]docRow{}
	for _, r := range rows {
		byPath[r.path] = r
	}
	for _, k := range keys {
		r, ok := byPath[k.path]
		if !ok || k.composite {
			continue
		}
		v, ok := actual[k.path]
		if !ok && underAbsent(actual, k.path) {
			// Below an optional mapping the minimal file leaves out
			// (verify): its defaults are checked by the config tests.
			continue
		}
		if !ok {
			t.Errorf("%s: no value for %s in the parsed configuration", configDoc, k.path)
			continue
		}
		if msg := checkDefault(r.defaultIs, v); msg != "" {
			t.Errorf("%s:%d: %s: %s", configDoc, r.line, k.path, msg)
		}
	}
}

// underAbsent reports whether an ancestor of path is an optional mapping
// that collectValues found left out.
func underAbsent(actual map[string]reflect.Value, path string) bool {
	for i := strings.LastIndex(path, "."); i > 0; i = strings.LastIndex(path, ".") {
		path = path[:i]
		if v, ok := actual[path]; ok && !v.IsValid() {
			return true
		}
	}
	return false
}

// collectValues records, for every key path below prefix, the value of the
// first list item where the key is reachable.
func collectValues(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				if _, seen := out[p]; !seen {
					out[p] = reflect.Value{} // an optional mapping left out
				}
				continue
			}
			fv = fv.Elem()
		}
		if seen, ok := out[p]; !ok || !seen.IsValid() {
			out[p] = fv
		}
		switch {
		case fv.Kind() == reflect.Struct:
			collectValues(fv, p, out)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			for j := range fv.Len() {
				collectValues(fv.Index(j), p+"[]", out)
			}
		}
	}
}

var backquoted = regexp.MustCompile("^`([^`]*)`")

// checkDefault compares a Default cell with the value the code filled in:
// "required ..." is not checked, a `value` must equal it, and anything else
// ("none") means the zero value.
func checkDefault(cell string, v reflect.Value) string {
	if strings.HasPrefix(cell, "required") {
		return ""
	}
	m := backquoted.FindStringSubmatch(cell)
	if m == nil {
		if !v.IsZero() {
			return fmt.Sprintf("the reference says %q, the code's default is %v", cell, v.Interface())
		}
		return ""
	}
	want := m[1]
	same := false
	switch {
	case v.Type() == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(want)
		same = err == nil && d == time.Duration(v.Int())
	case v.Kind() == reflect.String:
		same = v.String() == want
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(want)
		same = err == nil && b == v.Bool()
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(want)
		same = err == nil && int64(n) == v.Int()
	default:
		return fmt.Sprintf("a %s cannot have a default in backquotes", v.Type())
	}
	if !same {
		return fmt.Sprintf("the reference says the default is %q, the code's is %v", want, v.Interface())
	}
	return ""
}

// TestConfigReferenceDefaultChecker shows that a wrong default fails.
func TestConfigReferenceDefaultChecker(t *testing.T) {
	for _, tc := range []struct {
		cell string
		v    any
		ok   bool
	}{
		{"`1m`", time.Minute, true},
		{"`60s`", time.Minute, true},
		{"`2m`", time.Minute, false},
		{"`main`", "main", true},
		{"`master`", "main", false},
		{"`true`", true, true},
		{"`false`", true, false},
		{"`0`", 0, true},
		{"none", "", true},
		{"none", "main", false},
		{"required", "dc1", true},
	} {
		msg := checkDefault(tc.cell, reflect.ValueOf(tc.v))
		if (msg == "") != tc.ok {
			t.Errorf("cell %s, value %v: got %q, want ok=%v", tc.cell, tc.v, msg, tc.ok)
		}
	}
}

// issueCodes lists the issue codes an operator can meet in the Go files of
// dir: the values of constants named Code*, and every string given as the
// Code field of a composite literal (Code: "layout").
func issueCodes(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(n.Values) {
						continue
					}
					if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						codes[v] = fmt.Sprintf("%s (%s)", name.Name, fset.Position(name.Pos()))
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Code" {
					if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						codes[v] = fmt.Sprintf("Code: %s (%s)", lit.Value, fset.Position(lit.Pos()))
					}
				}
			}
			return true
		})
	}
	return codes
}

// TestOperationsListsEveryIssueCode checks that docs/operations.md explains,
// in a table row of its own, every issue code of internal/resource, internal/ingest and internal/fgd:
// the codes sidecars, `fgd ingest --output json` and the logs show.
func TestOperationsListsEveryIssueCode(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, dir := range []string{"../../internal/resource", "../../internal/ingest", "../../internal/fgd"} {
		for v, where := range issueCodes(t, dir) {
			codes[v] = where
		}
	}
	// The best-known codes must be among them, or the parse
	// above found nothing and the check below proves nothing.
	for _, must := range []string{"syntax", "invalid-utf8", "not-fabric-kind", "schema", "not-yaml", "path-conflict", "layout"} {
		if _, ok := codes[must]; !ok {
			t.Errorf("issue code %q not found in the sources: is the parser broken?", must)
		}
	}
	// Each code has a row of its own in a table: | `code` | meaning | fix |.
	for _, v := range slices.Sorted(maps.Keys(codes)) {
		if !bytes.Contains(doc, []byte("\n| `"+v+"` |")) {
			t.Errorf("%s: issue code `%s` from %s has no row in a table of codes", operationsDoc, v, codes[v])
		}
	}
	t.Logf("%d issue codes", len(codes))
}

// mdLink is a Markdown link to a file beside the docs, with an optional
// anchor: [text](operations.md#logs), [text](../config.example.yaml).
var mdLink = regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)

// TestDocsLinks checks that the links between the docs lead somewhere: the
// file exists and, for a Markdown file, the anchor names one of its headings.
func TestDocsLinks(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(docs) < 3 {
		t.Fatalf("docs: %v %v", docs, err)
	}
	links := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(text), -1) {
			target, anchor := m[1], strings.TrimPrefix(m[2], "#")
			if strings.Contains(target, "://") {
				continue
			}
			links++
			file := doc
			if target != "" {
				file = filepath.Join(filepath.Dir(doc), target)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%s: link to %s: %v", doc, target, err)
				continue
			}
			if anchor != "" && !slices.Contains(headingAnchors(string(body)), anchor) {
				t.Errorf("%s: link to %s#%s: no such heading in %s", doc, target, anchor, file)
			}
		}
	}
	if links < 5 {
		t.Errorf("only %d links found: is the pattern broken?", links)
	}
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown text: lower case, spaces to '-', punctuation dropped.
func headingAnchors(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}
