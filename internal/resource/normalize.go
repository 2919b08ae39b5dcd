package resource

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Provenance goes into the managed file's annotations.
type Provenance struct {
	Fabric        string // hnp.githedgehog.com/fabric
	OriginalFile  string // hnp.githedgehog.com/original-file, path relative to the FGD root, e.g. "raw/vpcs.yaml"
	DocumentIndex int    // hnp.githedgehog.com/original-document-index
}

// Annotations fgd writes into every managed file.
const (
	AnnotationManagedBy     = "hnp.githedgehog.com/managed-by"
	AnnotationFabric        = "hnp.githedgehog.com/fabric"
	AnnotationOriginalFile  = "hnp.githedgehog.com/original-file"
	AnnotationDocumentIndex = "hnp.githedgehog.com/original-document-index"
	ManagedByFGD            = "fgd"

	annotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"
)

// serverMetadataFields are the metadata fields the API server fills in; a managed file never holds them.
var serverMetadataFields = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}

// Normalize returns the canonical bytes of the managed file for r. Deterministic: same input, byte-identical
// output. It works on a copy of r.Node (r is not changed) with aliases and merge keys expanded, removes the
// fields the server fills in, adds the provenance annotations (unless the document already is an fgd managed
// file, whose provenance is kept), orders the top level and metadata canonically, keeps the order and the
// comments inside spec, and encodes with two-space indentation.
func Normalize(r *Resource, p Provenance) ([]byte, error) {
	top, err := normalizedTree(r, p)
	if err != nil {
		return nil, err
	}
	if out, ok := fastEncode(top); ok {
		return out, nil
	}
	return encodeYAML(r, top)
}

// normalizedTree builds the mapping node of the managed file.
func normalizedTree(r *Resource, p Provenance) (*yaml.Node, error) {
	if r == nil || r.Node == nil {
		return nil, errors.New("normalize: no resource")
	}
	src := resolveAlias(r.Node)
	if src.Kind == yaml.DocumentNode && len(src.Content) > 0 {
		src = resolveAlias(src.Content[0])
	}
	if src.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("normalize %s: document is %s, not a mapping", r.ID, describeNode(src))
	}
	top := expand(src, 0)
	if top == nil {
		return nil, fmt.Errorf("normalize %s: document nests deeper than %d levels", r.ID, maxConvertDepth)
	}
	// Comments around the whole document belong to the file it came from (license headers, banners
	// before the next "---"), not to this resource.
	top.HeadComment, top.FootComment = "", ""
	clearTrailingComment(top)
	removeKey(top, "status")
	meta := valueOf(top, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("normalize %s: metadata is not a mapping", r.ID)
	}
	normalizeMetadata(meta, p)
	reorder(top, "apiVersion", "kind", "metadata", "spec")
	// A comment left at the very end would be read back as the trailing comment of the file and
	// dropped by the next normalization: drop it now, so that normalizing is idempotent.
	clearTrailingComment(top)
	return top, nil
}

// clearTrailingComment drops the foot comments of the last pair of the top-level mapping: YAML parsers
// attach the comments after a document's last line there.
func clearTrailingComment(top *yaml.Node) {
	if n := len(top.Content); n >= 2 {
		top.Content[n-2].FootComment = ""
		top.Content[n-1].FootComment = ""
	}
}

// encodeYAML encodes top with yaml.v3, for what fastEncode does not take.
func encodeYAML(r *Resource, top *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}); err != nil {
		return nil, fmt.Errorf("normalize %s: encode: %w", r.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("normalize %s: encode: %w", r.ID, err)
	}
	return buf.Bytes(), nil
}

func normalizeMetadata(meta *yaml.Node, p Provenance) {
	for _, f := range serverMetadataFields {
		removeKey(meta, f)
	}
	if valueOf(meta, "namespace") == nil {
		setKey(meta, "namespace", DefaultNamespace)
	}
	if labels := valueOf(meta, "labels"); labels != nil {
		if labels.Kind == yaml.MappingNode {
			sortPairs(labels)
		} else {
			removeKey(meta, "labels")
		}
	}
	ann := valueOf(meta, "annotations")
	if ann == nil || ann.Kind != yaml.MappingNode {
		removeKey(meta, "annotations")
		ann = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		meta.Content = append(meta.Content, strNode("annotations"), ann)
	}
	removeKey(ann, annotationLastApplied)
	prov := [][2]string{
		{AnnotationManagedBy, ManagedByFGD},
		{AnnotationFabric, p.Fabric},
		{AnnotationOriginalFile, p.OriginalFile},
		{AnnotationDocumentIndex, strconv.Itoa(p.DocumentIndex)},
	}
	// A managed file copied back into raw/ keeps the provenance it already has, so re-ingesting it
	// changes nothing.
	keep := scalarValue(valueOf(ann, AnnotationManagedBy)) == ManagedByFGD
	for _, kv := range prov {
		if keep && valueOf(ann, kv[0]) != nil {
			continue
		}
		setKey(ann, kv[0], kv[1])
	}
	sortPairs(ann)
	ann.Style &^= yaml.FlowStyle
	reorder(meta, "name", "namespace", "labels", "annotations")
}

// expand deep-copies n with aliases replaced by copies of their targets and merge keys ("<<") replaced by
// the keys they merge, so the managed file stands alone. It returns nil past maxConvertDepth.
func expand(n *yaml.Node, depth int) *yaml.Node {
	if depth > maxConvertDepth {
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c := expand(n.Alias, depth)
		if c == nil {
			return nil
		}
		// Comments written at the alias stay where the alias was.
		c.HeadComment, c.LineComment, c.FootComment = n.HeadComment, n.LineComment, n.FootComment
		return c
	}
	c := &yaml.Node{
		Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value,
		HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment,
		Line: n.Line, Column: n.Column,
	}
	switch n.Kind {
	case yaml.SequenceNode, yaml.DocumentNode:
		c.Content = make([]*yaml.Node, 0, len(n.Content))
		for _, e := range n.Content {
			ec := expand(e, depth+1)
			if ec == nil {
				return nil
			}
			c.Content = append(c.Content, ec)
		}
	case yaml.MappingNode:
		c.Content = make([]*yaml.Node, 0, len(n.Content))
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if isMergeKey(resolveAlias(k)) {
				merges = append(merges, n.Content[i+1])
				continue
			}
			kc, vc := expand(k, depth+1), expand(n.Content[i+1], depth+1)
			if kc == nil || vc == nil {
				return nil
			}
			c.Content = append(c.Content, kc, vc)
		}
		for _, src := range merges {
			for _, m := range mergeSources(src) {
				if m == nil {
					continue
				}
				mc := expand(m, depth+1)
				if mc == nil {
					return nil
				}
				for i := 0; i+1 < len(mc.Content); i += 2 {
					if valueOf(c, mc.Content[i].Value) == nil {
						c.Content = append(c.Content, mc.Content[i], mc.Content[i+1])
					}
				}
			}
		}
	}
	return c
}

// strNode makes a string scalar. It is double-quoted unless it certainly reads back as a string when
// plain (it starts with a letter and is not true, false or null), as yaml.v3 would write it.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !plainString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func plainString(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return false
	}
	return true
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// valueOf returns the value node of key in mapping m, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			return m.Content[i+1]
		}
	}
	return nil
}

func removeKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// setKey sets key to the string value, replacing an existing value node or appending the pair.
func setKey(m *yaml.Node, key, value string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			m.Content[i+1] = strNode(value)
			return
		}
	}
	m.Content = append(m.Content, strNode(key), strNode(value))
}

// pair is a key node and its value node.
type pair struct{ k, v *yaml.Node }

func pairsOf(m *yaml.Node) []pair {
	ps := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		ps = append(ps, pair{m.Content[i], m.Content[i+1]})
	}
	return ps
}

func setPairs(m *yaml.Node, ps []pair) {
	m.Content = m.Content[:0]
	for _, p := range ps {
		m.Content = append(m.Content, p.k, p.v)
	}
}

func sortPairs(m *yaml.Node) {
	ps := pairsOf(m)
	slices.SortStableFunc(ps, func(a, b pair) int { return strings.Compare(a.k.Value, b.k.Value) })
	setPairs(m, ps)
}

// reorder puts the given keys first, in that order, and keeps the others in their order after them.
func reorder(m *yaml.Node, first ...string) {
	ps := pairsOf(m)
	rank := func(p pair) int {
		if i := slices.Index(first, p.k.Value); i >= 0 {
			return i
		}
		return len(first)
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return rank(a) - rank(b) })
	setPairs(m, ps)
}
