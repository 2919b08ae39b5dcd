package resource

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// Decode checks that doc is a supported fabric resource and validates it strictly against its kind's CRD
// schema. It returns every issue found (not only the first), sorted by line then path; on any issue the
// Resource is nil.
func (r *Registry) Decode(doc Document) (*Resource, []Issue) {
	if doc.Err != nil {
		iss := *doc.Err
		iss.Document = doc.Index
		return nil, []Issue{iss}
	}
	if doc.Empty || doc.Node == nil {
		return nil, []Issue{{Document: doc.Index, Line: doc.Line, Code: CodeEmpty,
			Message: "document is empty", Hint: "nothing to do: empty documents are skipped"}}
	}
	root := doc.Node
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if root.Kind != yaml.MappingNode {
		return nil, []Issue{{Document: doc.Index, Line: root.Line, Code: CodeNotObject,
			Message: "document is " + describeNode(root) + ", not a mapping",
			Hint:    "a fabric resource is a mapping with apiVersion, kind, metadata and spec"}}
	}
	c := converter{doc: doc.Index}
	obj, _ := c.value(root).(map[string]any)
	issues := c.issues
	if obj == nil {
		sortIssues(issues)
		return nil, issues
	}
	id, idIssues, ok := identify(obj, root, doc.Index)
	issues = append(issues, idIssues...)
	if ok {
		sch := r.schemas[schemaKey{id.Group, id.Version, id.Kind}]
		if err := sch.Validate(obj); err != nil {
			issues = appendSchemaIssues(issues, err, root, doc.Index, id, sch)
		}
	}
	if len(issues) > 0 {
		sortIssues(issues)
		return nil, issues
	}
	return &Resource{ID: id, Doc: doc, Node: root}, nil
}

// describeNode says what kind of YAML value n is, for messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return fmt.Sprintf("a scalar (%q)", v)
	case yaml.MappingNode:
		return "a mapping"
	}
	return "not a YAML value"
}

// identify reads apiVersion, kind, metadata.name and metadata.namespace. ok is false when the document is
// not a supported kind and version, so there is no schema to validate it against.
func identify(obj map[string]any, root *yaml.Node, doc int) (id Identity, issues []Issue, ok bool) {
	issue := func(key string, code, msg, hint string) {
		k, v := mapEntry(root, key)
		line := root.Line
		if v != nil {
			line = v.Line
		} else if k != nil {
			line = k.Line
		}
		issues = append(issues, Issue{Document: doc, Line: line, Path: key, Code: code, Message: msg, Hint: hint})
	}
	apiVersion, avOK := obj["apiVersion"].(string)
	kind, kOK := obj["kind"].(string)
	switch {
	case obj["apiVersion"] == nil:
		issue("apiVersion", CodeMissingAPIVersion, "apiVersion is missing", "add apiVersion, for example vpc.githedgehog.com/v1beta1 or wiring.githedgehog.com/v1beta1")
	case !avOK || apiVersion == "":
		issue("apiVersion", CodeMissingAPIVersion, fmt.Sprintf("apiVersion must be a non-empty string, got %s", describeValue(obj["apiVersion"])), "write apiVersion as group/version, for example vpc.githedgehog.com/v1beta1")
	}
	switch {
	case obj["kind"] == nil:
		issue("kind", CodeMissingKind, "kind is missing", "add kind, for example VPC, Connection or Switch")
	case !kOK || kind == "":
		issue("kind", CodeMissingKind, fmt.Sprintf("kind must be a non-empty string, got %s", describeValue(obj["kind"])), "write the kind, for example VPC, Connection or Switch")
	}
	if len(issues) > 0 {
		return id, issues, false
	}
	group, version := "", apiVersion
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group, version = apiVersion[:i], apiVersion[i+1:]
	}
	id = Identity{Group: group, Version: version, Kind: kind}
	k, known := LookupKind(group, kind)
	if !known {
		issue("kind", CodeNotFabricKind, fmt.Sprintf("%s %q is not a fabric resource fgd manages", apiVersion, kind), notFabricHint(group, kind))
		return id, issues, false
	}
	v := slices.Index(Versions, version)
	if v < 0 {
		issue("apiVersion", CodeUnsupportedVersion, fmt.Sprintf("%s is not a supported version of %s (fgd has the %s schemas)", apiVersion, kind, strings.Join(Versions, " and ")),
			fmt.Sprintf("use %s/%s; v1alpha2 objects of 2024 validate unchanged as v1beta1", group, Versions[0]))
		return id, issues, false
	}
	// The identity is held as long as the resource is desired: it shares
	// the table's strings instead of keeping the parsed document's.
	id.Group, id.Kind, id.Version = k.Group, k.Kind, Versions[v]
	meta, _ := obj["metadata"].(map[string]any)
	id.Name, id.Namespace, issues = identifyName(meta, root, doc, issues)
	return id, issues, true
}

// identifyName reads metadata.name and metadata.namespace (default when
// absent), adding to issues what is wrong with them.
func identifyName(meta map[string]any, root *yaml.Node, doc int, issues []Issue) (string, string, []Issue) {
	var id Identity
	nameIssue := func(field, code, msg, hint string) {
		path := "metadata." + field
		line := root.Line
		if _, m := mapEntry(root, "metadata"); m != nil {
			line = m.Line
			if k, v := mapEntry(resolveAlias(m), field); v != nil {
				line = v.Line
			} else if k != nil {
				line = k.Line
			}
		}
		issues = append(issues, Issue{Document: doc, Line: line, Path: path, Code: code, Message: msg, Hint: hint})
	}
	switch name, isStr := meta["name"].(string); {
	case meta["name"] == nil:
		nameIssue("name", CodeMissingName, "metadata.name is missing", "give the object a name under metadata, for example name: vpc-1")
	case !isStr:
		nameIssue("name", CodeInvalidName, fmt.Sprintf("metadata.name must be a string, got %s", describeValue(meta["name"])), "quote the name, for example name: \"vpc-1\"")
	default:
		id.Name = name
		if msg, hint := checkName(name, "name"); msg != "" {
			code := CodeInvalidName
			if name == "" {
				code = CodeMissingName
			}
			nameIssue("name", code, msg, hint)
		}
	}
	id.Namespace = DefaultNamespace
	if ns, isStr := meta["namespace"].(string); isStr && ns != DefaultNamespace {
		id.Namespace = ns
		if msg, hint := checkName(ns, "namespace"); msg != "" {
			nameIssue("namespace", CodeInvalidName, msg, hint)
		}
	}
	return id.Name, id.Namespace, issues
}

func notFabricHint(group, kind string) string {
	for _, k := range kinds {
		if strings.EqualFold(k.Kind, kind) && (k.Kind != kind || k.Group != group) {
			return fmt.Sprintf("did you mean apiVersion %s/%s, kind %s?", k.Group, Versions[0], k.Kind)
		}
	}
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, k.Kind)
	}
	return "fgd manages the 12 vpc/wiring kinds (" + strings.Join(names, ", ") + "); keep this file outside the FGD or in unmanaged/"
}

// describeValue says what a converted value is, for messages.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	default:
		return fmt.Sprintf("the number %v", x)
	}
}

// mapEntry finds key in mapping m (looking through merge keys) and returns its key and value nodes.
func mapEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = resolveAlias(m)
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn := resolveAlias(m.Content[i])
		if isMergeKey(kn) {
			merges = append(merges, m.Content[i+1])
			continue
		}
		if kn.Kind == yaml.ScalarNode && kn.Value == key {
			k, v = kn, m.Content[i+1] // the last one wins, as in the converted value
		}
	}
	if k != nil {
		return k, v
	}
	for _, src := range merges {
		for _, mm := range mergeSources(src) {
			if mm != nil {
				if k, v := mapEntry(mm, key); k != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}

// located is where an instance location of the schema validator is in the YAML document.
type located struct {
	segs []seg
	key  *yaml.Node // the key node of the last step, nil for a list item or the root
	val  *yaml.Node // the deepest node found
}

func (l located) line() int {
	if l.key != nil {
		return l.key.Line
	}
	if l.val != nil {
		return l.val.Line
	}
	return 0
}

// locate follows a JSON instance location through the YAML nodes.
func locate(root *yaml.Node, loc []string) located {
	l := located{segs: make([]seg, 0, len(loc)), val: root}
	cur := root
	for i, tok := range loc {
		cur = resolveAlias(cur)
		switch cur.Kind {
		case yaml.MappingNode:
			k, v := mapEntry(cur, tok)
			l.segs = append(l.segs, seg{key: tok})
			if v == nil {
				return l.rest(loc[i+1:])
			}
			l.key, l.val, cur = k, v, v
		case yaml.SequenceNode:
			n, err := parseIndex(tok)
			if err != nil || n >= len(cur.Content) {
				l.segs = append(l.segs, seg{key: tok})
				return l.rest(loc[i+1:])
			}
			l.segs = append(l.segs, seg{index: n, isIndex: true})
			l.key, l.val, cur = nil, cur.Content[n], cur.Content[n]
		default:
			l.segs = append(l.segs, seg{key: tok})
			return l.rest(loc[i+1:])
		}
	}
	return l
}

func (l located) rest(toks []string) located {
	for _, t := range toks {
		l.segs = append(l.segs, seg{key: t})
	}
	return l
}

func parseIndex(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 9 {
		return 0, errors.New("not an index")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not an index")
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, nil
}

// appendSchemaIssues turns the validator's error tree into one Issue per leaf error.
func appendSchemaIssues(issues []Issue, err error, root *yaml.Node, doc int, id Identity, sch *jsonschema.Schema) []Issue {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return append(issues, Issue{Document: doc, Line: root.Line, Code: CodeSchema, Message: err.Error(), Hint: "report this to the fgd developers"})
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		issues = append(issues, schemaIssues(e, root, doc, id, sch)...)
	}
	walk(ve)
	return issues
}
