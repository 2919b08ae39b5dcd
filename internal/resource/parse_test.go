package resource

import (
	"strings"
	"testing"
)

// TestParseFileDocuments checks how a stream is cut into documents: indexes, lines, Raw, empties, and that
// one broken document does not hide the others.
func TestParseFileDocuments(t *testing.T) {
	type want struct {
		line  int
		raw   string
		empty bool
		err   string // issue code of a broken document
	}
	cases := []struct {
		name string
		in   string
		docs []want
	}{
		{"nothing", "", nil},
		{"comments only", "# a\n# b\n", nil},
		{"one document", "a: 1\n", []want{{line: 1, raw: "a: 1\n"}}},
		{"no final newline", "a: 1", []want{{line: 1, raw: "a: 1"}}},
		{"header before first marker", "# license\n\n---\na: 1\n", []want{{line: 4, raw: "a: 1\n"}}},
		{"leading marker", "---\na: 1\n---\nb: 2\n", []want{{line: 2, raw: "a: 1\n"}, {line: 4, raw: "b: 2\n"}}},
		{"empty documents count", "---\n---\n# only a comment\n---\na: 1\n", []want{{line: 1, empty: true, raw: ""}, {line: 2, empty: true, raw: "# only a comment\n"}, {line: 5, raw: "a: 1\n"}}},
		{"trailing marker", "a: 1\n---\n", []want{{line: 1, raw: "a: 1\n"}, {line: 2, empty: true, raw: ""}}},
		{"document end", "a: 1\n...\n# tail\n", []want{{line: 1, raw: "a: 1\n"}}},
		{"bare document after end", "a: 1\n...\nb: 2\n", []want{{line: 1, raw: "a: 1\n"}, {line: 3, raw: "b: 2\n"}}},
		{"content on marker line", "--- {a: 1}\n--- # comment\nb: 2\n", []want{{line: 1, raw: "--- {a: 1}\n"}, {line: 3, raw: "b: 2\n"}}},
		{"block scalar document", "--- |\n  text\n---\nb: 2\n", []want{{line: 1, raw: "--- |\n  text\n"}, {line: 4, raw: "b: 2\n"}}},
		{"directive", "%YAML 1.2\n---\na: 1\n", []want{{line: 3, raw: "a: 1\n"}}},
		{"marker-like text", "a: ---\nb: '---'\n----: x\n", []want{{line: 1, raw: "a: ---\nb: '---'\n----: x\n"}}},
		{"broken middle document", "a: 1\n---\nbad: [\n---\nc: 3\n", []want{{line: 1, raw: "a: 1\n"}, {line: 3, raw: "bad: [\n", err: CodeSyntax}, {line: 5, raw: "c: 3\n"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := ParseFile([]byte(tc.in), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != len(tc.docs) {
				t.Fatalf("%d documents, want %d: %+v", len(docs), len(tc.docs), docs)
			}
			for i, w := range tc.docs {
				d := docs[i]
				if d.Index != i || d.Line != w.line || string(d.Raw) != w.raw || d.Empty != w.empty {
					t.Errorf("document %d: index %d line %d raw %q empty %v; want line %d raw %q empty %v", i, d.Index, d.Line, d.Raw, d.Empty, w.line, w.raw, w.empty)
				}
				switch {
				case w.err != "":
					if d.Err == nil || d.Err.Code != w.err || d.Err.Document != i || d.Node != nil {
						t.Errorf("document %d: want error %s, got %+v", i, w.err, d.Err)
					}
				case w.empty:
					if d.Node != nil || d.Err != nil {
						t.Errorf("empty document %d has a node or an error", i)
					}
				default:
					if d.Node == nil || d.Err != nil {
						t.Errorf("document %d: no node (err %v)", i, d.Err)
					}
				}
			}
		})
	}
}

// TestDepthLimitExact: the depth pre-scan never refuses a document within the limit, whatever its scalars
// hold, and the limit itself is exact.
func TestDepthLimitExact(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) + "\n" }
	lim := DefaultLimits()
	cases := []struct {
		name string
		in   string
		deep bool
	}{
		{"flow at the limit", nest(64), false},
		{"flow over the limit", nest(65), true},
		{"brackets in a block scalar", "a: |\n  " + strings.Repeat("[", 500) + "\n  - - - - x\nb: 1\n", false},
		{"brackets in a quoted string", "a: \"" + strings.Repeat("[", 500) + "\"\nb: '" + strings.Repeat("{", 500) + "'\n", false},
		{"brackets in a plain scalar", "a: x" + strings.Repeat("[", 500) + "\n", false},
		{"brackets in a comment", "a: 1 # " + strings.Repeat("[", 500) + "\n", false},
		{"continuation lines", "a: x\n" + func() string {
			var b strings.Builder
			for i := 1; i < 200; i++ {
				b.WriteString(strings.Repeat(" ", i) + "more\n")
			}
			return b.String()
		}(), false},
		{"block sequences at the limit", strings.Repeat("- ", 64) + "x\n", false},
		{"block sequences over the limit", strings.Repeat("- ", 65) + "x\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := ParseFile([]byte(tc.in), lim)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 {
				t.Fatalf("%d documents", len(docs))
			}
			d := docs[0]
			gotDeep := d.Err != nil && d.Err.Code == CodeTooDeep
			if gotDeep != tc.deep {
				t.Errorf("too-deep %v, want %v (err %v)", gotDeep, tc.deep, d.Err)
			}
			if !tc.deep && d.Err != nil {
				t.Errorf("unexpected error %v", d.Err)
			}
		})
	}
}

func TestIssueError(t *testing.T) {
	cases := []struct {
		iss  Issue
		want string
	}{
		{Issue{Document: 2, Line: 14, Path: "spec.subnets.x", Message: `unknown field "y"`, Hint: "remove it"}, `document 2, line 14, spec.subnets.x: unknown field "y" (hint: remove it)`},
		{Issue{Document: -1, Message: "file is binary"}, "file: file is binary"},
		{Issue{Document: 0, Line: 3, Message: "bad"}, "document 0, line 3: bad"},
	}
	for _, tc := range cases {
		if got := tc.iss.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestIdentityAndPaths(t *testing.T) {
	id := Identity{Group: GroupVPC, Version: "v1beta1", Kind: "VPC", Namespace: "default", Name: "vpc-1"}
	if got := id.Key(); got != "vpc.githedgehog.com/VPC/default/vpc-1" {
		t.Errorf("Key %q", got)
	}
	old := id
	old.Version = "v1alpha2"
	if old.Key() != id.Key() {
		t.Error("versions of one object have different keys")
	}
	if got := id.String(); got != "VPC default/vpc-1 (vpc.githedgehog.com/v1beta1)" {
		t.Errorf("String %q", got)
	}
	cases := []struct {
		id   Identity
		want string
	}{
		{id, "managed/vpcs/vpc-1.yaml"},
		{Identity{Group: GroupVPC, Kind: "VPC", Name: "vpc-1"}, "managed/vpcs/vpc-1.yaml"},
		{Identity{Group: GroupVPC, Kind: "VPC", Namespace: "team-a", Name: "vpc-1"}, "managed/vpcs/team-a-vpc-1.yaml"},
		{Identity{Group: GroupWiring, Kind: "Connection", Namespace: "default", Name: "a--b"}, "managed/connections/a--b.yaml"},
		{Identity{Group: GroupWiring, Kind: "VLANNamespace", Namespace: "default", Name: "default"}, "managed/vlannamespaces/default.yaml"},
	}
	for _, tc := range cases {
		if got := ManagedPathFor(tc.id); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.id, got, tc.want)
		}
	}
}
