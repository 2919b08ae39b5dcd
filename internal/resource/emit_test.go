package resource

import (
	"bytes"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// stripComments removes every comment below n, in place.
func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
}

// checkFastEncode compares the fast encoder with yaml.v3 on top; it reports whether the fast path took it.
func checkFastEncode(t testing.TB, r *Resource, top *yaml.Node) bool {
	t.Helper()
	fast, ok := fastEncode(top)
	if !ok {
		return false
	}
	slow, err := encodeYAML(r, top)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatalf("fast encoder differs from yaml.v3:\n--- fast\n%s\n--- yaml.v3\n%s", fast, slow)
	}
	return true
}

// TestFastEncodeMatchesYAML: for every corpus resource, with and without its comments, the fast encoder
// either declines or writes exactly what yaml.v3 writes; and it takes most comment-free resources.
func TestFastEncodeMatchesYAML(t *testing.T) {
	reg := newTestRegistry(t)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	total, fast, fastComments := 0, 0, 0
	for _, f := range files {
		for _, d := range parseCorpusFile(t, filepath.Base(f)) {
			if d.Empty {
				continue
			}
			r, _ := reg.Decode(d)
			if r == nil {
				continue
			}
			top, err := normalizedTree(r, Provenance{Fabric: "corpus", OriginalFile: "raw/x.yaml", DocumentIndex: d.Index})
			if err != nil {
				t.Fatal(err)
			}
			if checkFastEncode(t, r, top) {
				fastComments++
			}
			stripComments(top)
			total++
			if checkFastEncode(t, r, top) {
				fast++
			}
		}
	}
	t.Logf("fast path took %d of %d corpus resources as they are, %d without their comments", fastComments, total, fast)
	if total == 0 || fast*10 < total*8 {
		t.Errorf("fast path took only %d of %d comment-free resources", fast, total)
	}
}

// TestFastEncodeScalars pins the scalar cases where yaml.v3 quotes or not.
func TestFastEncodeScalars(t *testing.T) {
	values := []string{"a", "a b", "a:b", "a: b", "a:", ":a", "-a", "- a", "-", "a,b", ",a", "a-", "---a", "...", "a.b", "1", "1.5", "true", "null",
		"00:11:22:33:44:55", "10.0.0.0/24", "E1/55", "4x25G", "(x)", " a", "a ", "+1", "a+b", "Ethernet0", "x,y:z", "10.1.2.3", "1.2", "1e3", "0x1F", "0o17", "1_000", "2024-01-01", "2024-01-01T10:00:00Z", "abc", ".5", "-1", "+.inf", ".nan", "TRUE", "False", "Null", "1.2.3", "1..2", "007", "08", "0", "-0", "+5", "0.5", "1.", "-.inf", "+.INF", ".NaN", "-.nan", "1e", "e1"}
	for _, v := range values {
		for _, style := range []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle} {
			for _, flow := range []bool{false, true} {
				val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style}
				if style == yaml.LiteralStyle {
					val = strNode(v) // as Normalize makes strings, quoting what would not read back
				}
				seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{val}}
				if flow {
					seq.Style = yaml.FlowStyle
				}
				top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: "k"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style},
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: "s"}, seq,
				}}
				checkFastEncode(t, &Resource{}, top)
				for _, tag := range []string{"!!int", "!!float", "!!bool", "!!null", "!!timestamp"} {
					// A plain scalar of another core type, as the parser makes them (the tag resolved from
					// the text) or not (then the fast path must decline or quote like yaml.v3).
					top.Content[1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
					checkFastEncode(t, &Resource{}, top)
				}
			}
		}
	}
}

// TestFastEncodeComments parses comment layouts with yaml.v3 and checks that the fast encoder writes what
// yaml.v3 writes, or declines.
func TestFastEncodeComments(t *testing.T) {
	inputs := []string{
		"# head\na: 1 # line\nb: x\n",
		"a: # key line\n  b: 1\n  # head c\n  c: 2\n",
		"a:\n  - x # lx\n  # head y\n  - y\n  # foot\n",
		"a:\n  # head of item map\n  - k: v\n    # head l\n    l: 2\n",
		"a:\n  - # first key head\n    k: v\n",
		"a:\n  - - x # in nested\n    # head nested\n    - y\n",
		"a: [1, 2] # flow line\nb: {} # empty\nc: [] # empty seq\n",
		"a:\n  b: 1\n# foot of a\nc: 2\n",
		"a: 1\n\n# after blank\nb: 2\n",
		"a:\n  b:\n    c: 1 # deep\n  # back\n  d: 2\n",
		"a: 'x' # single\nb: \"y\" # double\n",
		"a:\n  - k: 1 # line k\n    l: # line l\n      - z\n",
		"# one\n# two\na: 1\n",
		"a: 1 #no space\nb: 2   #  spaced\n",
	}
	for _, in := range inputs {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(in), &doc); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		top := doc.Content[0]
		top.HeadComment, top.FootComment = "", ""
		took := checkFastEncode(t, &Resource{}, top)
		if testing.Verbose() {
			t.Logf("%q: fast path %v", in, took)
		}
	}
}

// FuzzEncode checks the fast encoder against yaml.v3 on any YAML mapping, not only valid resources (the
// Makefile fuzzes FuzzPipeline; run this one by hand after changing emit.go).
func FuzzEncode(f *testing.F) {
	for _, s := range append(oddResources, validVPC, "a: [1, {b: c}]\n", "k: 'x' # c\n- bad\n", "a:\n  - - x\n    - y: 1\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		var doc yaml.Node
		if err := safeUnmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
			return
		}
		top := doc.Content[0]
		w := walker{maxDepth: 32, maxNodes: 10_000, budget: 10_000}
		if w.visit(&doc, 0); w.err != nil || top.Kind != yaml.MappingNode {
			return
		}
		top = expand(top, 0)
		top.HeadComment, top.FootComment = "", ""
		checkFastEncode(t, &Resource{}, top)
		stripComments(top)
		checkFastEncode(t, &Resource{}, top)
	})
}
