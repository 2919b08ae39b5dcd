package resource

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

const validVPC = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
      vlan: 1001
`

// billionLaughs builds the classic alias bomb: levels of aliases, each referring width times to the
// level below.
func billionLaughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: lol\nspec:\n")
	b.WriteString("  l0: &l0 [lol]\n")
	for i := 1; i <= levels; i++ {
		refs := make([]string, width)
		for j := range refs {
			refs[j] = fmt.Sprintf("*l%d", i-1)
		}
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.Join(refs, ", "))
	}
	return b.String()
}

// deepIndented nests depth mappings, one more space of indentation per level.
func deepIndented(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString(strings.Repeat(" ", i))
		fmt.Fprintf(&b, "k%d:\n", i)
	}
	b.WriteString(strings.Repeat(" ", depth) + "x: 1\n")
	return b.String()
}

// TestHostileInput feeds broken and hostile files through ParseFile and Decode. Each case names the issue
// code it expects and a text the message, path or hint must hold (the place of the problem).
func TestHostileInput(t *testing.T) {
	reg := newTestRegistry(t)
	long := strings.Repeat("a", 300)
	cases := []struct {
		name      string
		in        string
		lim       Limits
		fileLevel bool   // ParseFile refuses the whole file
		code      string // expected issue code
		line      int    // expected line, 0 = not checked
		path      string // expected path, "" = not checked
		mention   string // text the message or hint must contain
	}{
		{name: "malformed", in: "apiVersion: v1\nkind: [unclosed\nmetadata: {}\n", code: CodeSyntax, mention: "does not parse"},
		{name: "bad indentation", in: "apiVersion: v1\n  kind: VPC\n", code: CodeSyntax, line: 2, mention: "line 2"},
		{name: "alias bomb", in: billionLaughs(9, 10), code: CodeAliasBomb, mention: "alias"},
		{name: "alias cycle", in: "apiVersion: v1\nkind: VPC\nspec: &a [*a]\n", code: CodeAliasBomb, line: 3, mention: "*a"},
		{name: "deep flow", in: strings.Repeat("[", 100_000), code: CodeTooDeep, line: 1, mention: "64 levels"},
		{name: "deep flow mapping", in: "spec: " + strings.Repeat("{a: ", 100_000), code: CodeTooDeep, line: 1, mention: "64 levels"},
		{name: "deep block sequence", in: strings.Repeat("- ", 100_000) + "x\n", code: CodeTooDeep, line: 1, mention: "64 levels"},
		{name: "deep block lines", in: strings.Repeat("-\n", 1) + func() string {
			var b strings.Builder
			for i := 1; i < 100_000; i++ {
				b.WriteString(strings.Repeat(" ", i%70))
				b.WriteString("-\n")
			}
			return b.String()
		}(), code: CodeTooDeep, mention: "64 levels"},
		{name: "deep indented mappings", in: deepIndented(2000), code: CodeTooDeep, line: 65, mention: "64 levels"},
		{name: "deep through aliases", in: "a: &a [[[[[[[[[[1]]]]]]]]]]\nb: &b [[[[[[[[[[*a]]]]]]]]]]\nc: &c [[[[[[[[[[*b]]]]]]]]]]\nd: &d [[[[[[[[[[*c]]]]]]]]]]\ne: &e [[[[[[[[[[*d]]]]]]]]]]\nf: &f [[[[[[[[[[*e]]]]]]]]]]\ng: [[[[[[[[[[*f]]]]]]]]]]\n", code: CodeTooDeep, mention: "64 levels"},
		{name: "too many documents", in: strings.Repeat("---\na: 1\n", 11), lim: Limits{MaxDocuments: 10}, fileLevel: true, code: CodeTooLarge, mention: "more than 10"},
		{name: "too many nodes", in: "a: [" + strings.Repeat("1,", 2000) + "1]\n", lim: Limits{MaxNodes: 1000}, code: CodeTooLarge, mention: "1000 YAML nodes"},
		{name: "50 MiB", in: strings.Repeat("# padding line\n", 50<<20/15+1), fileLevel: true, code: CodeTooLarge, mention: "8388608"},
		{name: "binary", in: "apiVersion: v1\nkind: \x00\x01\x02\n", fileLevel: true, code: CodeBinary, line: 2, mention: "NUL"},
		{name: "utf-16", in: "\xff\xfea\x00:\x00", fileLevel: true, code: CodeBinary, mention: "UTF-16"},
		{name: "invalid utf-8", in: "apiVersion: v1\nkind: VPC\nmetadata:\n  name: caf\xe9\n", fileLevel: true, code: CodeInvalidUTF8, line: 4, mention: "0xe9"},
		{name: "tab indentation", in: "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n\tname: vpc-1\n", code: CodeSyntax, line: 4, mention: "tab"},
		{name: "duplicate key", in: "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\n  name: vpc-2\nspec: {}\n", code: CodeDuplicateKey, line: 5, path: "metadata.name", mention: "lines 4 and 5"},
		{name: "name with path", in: strings.Replace(validVPC, "vpc-1", "../../x", 1), code: CodeInvalidName, line: 4, path: "metadata.name", mention: "path separator"},
		{name: "name with slash", in: strings.Replace(validVPC, "vpc-1", "a/b", 1), code: CodeInvalidName, path: "metadata.name", mention: "use '-' instead: a-b"},
		{name: "upper-case name", in: strings.Replace(validVPC, "vpc-1", "VPC-1", 1), code: CodeInvalidName, path: "metadata.name", mention: "use lowercase: vpc-1"},
		{name: "300-char name", in: strings.Replace(validVPC, "vpc-1", long, 1), code: CodeInvalidName, path: "metadata.name", mention: "300 characters"},
		{name: "bad namespace", in: strings.Replace(validVPC, "  name: vpc-1\n", "  name: vpc-1\n  namespace: a.b\n", 1), code: CodeInvalidName, path: "metadata.namespace", mention: "namespace"},
		{name: "missing name", in: strings.Replace(validVPC, "  name: vpc-1\n", "  labels: {}\n", 1), code: CodeMissingName, path: "metadata.name", mention: "missing"},
		{name: "missing kind", in: strings.Replace(validVPC, "kind: VPC\n", "", 1), code: CodeMissingKind, path: "kind", mention: "kind is missing"},
		{name: "empty kind", in: strings.Replace(validVPC, "kind: VPC\n", "kind: \"\"\n", 1), code: CodeMissingKind, path: "kind", mention: "non-empty"},
		{name: "missing apiVersion", in: strings.Replace(validVPC, "apiVersion: vpc.githedgehog.com/v1beta1\n", "", 1), code: CodeMissingAPIVersion, path: "apiVersion", mention: "apiVersion is missing"},
		{name: "gateway kind", in: "apiVersion: gateway.githedgehog.com/v1alpha1\nkind: Gateway\nmetadata:\n  name: gw\n", code: CodeNotFabricKind, line: 2, path: "kind", mention: "keep this file outside the FGD or in unmanaged/"},
		{name: "wrong case kind", in: strings.Replace(validVPC, "kind: VPC", "kind: Vpc", 1), code: CodeNotFabricKind, path: "kind", mention: "did you mean"},
		{name: "old version", in: strings.Replace(validVPC, "v1beta1", "v1alpha1", 1), code: CodeUnsupportedVersion, path: "apiVersion", mention: "v1alpha1"},
		{name: "spec null", in: "apiVersion: wiring.githedgehog.com/v1beta1\nkind: SwitchGroup\nmetadata:\n  name: g\nspec:\n", code: CodeSchema, line: 5, path: "spec", mention: "got null"},
		{name: "unknown field", in: validVPC + "  location: here\n", code: CodeUnknownField, line: 10, path: "spec", mention: `unknown field "location"`},
		{name: "unknown metadata field", in: strings.Replace(validVPC, "  name: vpc-1\n", "  name: vpc-1\n  nmae: x\n", 1), code: CodeUnknownField, line: 5, path: "metadata", mention: `"nmae"`},
		{name: "subnetz", in: strings.Replace(validVPC, "  subnets:", "  subnetz:", 1), code: CodeUnknownField, line: 6, path: "spec", mention: `did you mean "subnets"?`},
		{name: "nested typo", in: strings.Replace(validVPC, "vlan: 1001", "vlan: 1001\n      gatway: 10.0.1.1", 1), code: CodeUnknownField, path: "spec.subnets.default", mention: `did you mean "gateway"?`},
		{name: "metadata typo", in: strings.Replace(validVPC, "  name: vpc-1\n", "  name: vpc-1\n  labls: {}\n", 1), code: CodeUnknownField, path: "metadata", mention: `did you mean "labels"?`},
		{name: "no near field", in: validVPC + "  location: here\n", code: CodeUnknownField, path: "spec", mention: `(hint: remove it`},
		{name: "typo in a list item", in: "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  unbundled:\n    link:\n      server: {port: s/e1}\n      switch: {prot: l/e1}\n", code: CodeUnknownField, path: "spec.unbundled.link.switch", mention: `did you mean "port"?`},
		{name: "wrong type", in: strings.Replace(validVPC, "vlan: 1001", "vlan: many", 1), code: CodeSchema, line: 9, path: "spec.subnets.default.vlan", mention: "must be an integer"},
		{name: "int32 overflow", in: strings.Replace(validVPC, "vlan: 1001", "vlan: 1001\n      dhcp:\n        options:\n          leaseTimeSeconds: 99999999999", 1), code: CodeSchema, path: "spec.subnets.default.dhcp.options.leaseTimeSeconds", mention: "int32"},
		{name: "annotation not a string", in: strings.Replace(validVPC, "  name: vpc-1\n", "  name: vpc-1\n  annotations:\n    a.b/c: 1\n", 1), code: CodeSchema, path: `metadata.annotations["a.b/c"]`, mention: "must be a string"},
		{name: "status null", in: validVPC + "status:\n", code: CodeSchema, path: "status", mention: "must be an object, got null"},
		{name: "list document", in: "- a\n- b\n", code: CodeNotObject, line: 1, mention: "a list"},
		{name: "scalar document", in: "just text\n", code: CodeNotObject, mention: "a scalar"},
		{name: "null document", in: "~\n", code: CodeNotObject, mention: "null"},
		{name: "non-string key", in: strings.Replace(validVPC, "  subnets:", "  1: x\n  subnets:", 1), code: CodeNonStringKey, line: 6, path: "spec", mention: `key "1" is an integer`},
		{name: "mapping key", in: strings.Replace(validVPC, "  subnets:", "  ? [a]\n  : x\n  subnets:", 1), code: CodeNonStringKey, path: "spec", mention: "a list"},
		{name: "custom tag", in: strings.Replace(validVPC, "vlan: 1001", "vlan: !weird 1001", 1), code: CodeUnsupportedValue, path: "spec.subnets.default.vlan", mention: "!weird"},
		{name: "yaml.v3 crash input", in: "{{},<<}", code: CodeNonStringKey, line: 1, mention: "a mapping"},
		{name: "too few items", in: "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCPeering\nmetadata:\n  name: p\nspec:\n  permit:\n    - vpc-1: {subnets: []}\n", code: CodeSchema, line: 7, path: "spec.permit[0].vpc-1.subnets", mention: "at least 1 item"},
		{name: "infinity", in: strings.Replace(validVPC, "vlan: 1001", "vlan: .inf", 1), code: CodeUnsupportedValue, path: "spec.subnets.default.vlan", mention: "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := ParseFile([]byte(tc.in), tc.lim)
			var issues []Issue
			if tc.fileLevel {
				var iss *Issue
				if !errors.As(err, &iss) {
					t.Fatalf("want a file-level *Issue, got err=%v (%d documents)", err, len(docs))
				}
				if iss.Document != -1 {
					t.Errorf("file-level issue with Document %d", iss.Document)
				}
				issues = []Issue{*iss}
			} else {
				if err != nil {
					t.Fatalf("ParseFile: %v", err)
				}
				for _, d := range docs {
					if d.Empty {
						continue
					}
					if d.Err != nil && d.Node != nil {
						t.Errorf("document %d has both Err and Node", d.Index)
					}
					r, iss := reg.Decode(d)
					if r != nil {
						t.Fatalf("document %d decoded, want code %s", d.Index, tc.code)
					}
					issues = append(issues, iss...)
				}
			}
			for _, iss := range issues {
				if iss.Code != tc.code {
					continue
				}
				text := iss.Error()
				if (tc.line == 0 || iss.Line == tc.line) && (tc.path == "" || iss.Path == tc.path) && strings.Contains(text, tc.mention) {
					t.Log(text)
					if iss.Hint == "" {
						t.Errorf("issue without a hint: %s", text)
					}
					return
				}
			}
			t.Errorf("no issue with code %s, line %d, path %q mentioning %q in:\n%v", tc.code, tc.line, tc.path, tc.mention, issues)
		})
	}
}

// TestHostileMemory: alias bombs and deep nesting are refused without the parser or the converter
// building them (bounded allocation, not a timing).
func TestHostileMemory(t *testing.T) {
	const limit = 64 << 20
	inputs := map[string][]byte{
		"alias bomb":   []byte(billionLaughs(12, 10)),
		"deep flow":    []byte(strings.Repeat("[", 100_000)),
		"deep block":   []byte(strings.Repeat("- ", 100_000) + "x\n"),
		"deep mapping": []byte(deepIndented(2000)),
	}
	reg := newTestRegistry(t)
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			docs, err := ParseFile(in, DefaultLimits())
			if err == nil {
				for _, d := range docs {
					if r, _ := reg.Decode(d); r != nil {
						t.Fatal("hostile document decoded")
					}
				}
			}
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > limit {
				t.Errorf("allocated %d MiB, limit %d MiB", grown>>20, limit>>20)
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	if err := CheckSize(8<<20, DefaultLimits()); err != nil {
		t.Errorf("8 MiB refused: %v", err)
	}
	err := CheckSize(50<<20, DefaultLimits())
	var iss *Issue
	if !errors.As(err, &iss) || iss.Code != CodeTooLarge || !strings.Contains(iss.Message, "52428800") {
		t.Errorf("50 MiB: got %v", err)
	}
	if err := CheckSize(100, Limits{MaxFileBytes: 10}); err == nil {
		t.Error("100 bytes over a 10-byte limit accepted")
	}
}

// TestBOMAndCRLF: a BOM is dropped, CRLF line ends parse, and line numbers stay those of the file.
func TestBOMAndCRLF(t *testing.T) {
	reg := newTestRegistry(t)
	crlf := strings.ReplaceAll("# header\n---\n"+validVPC+"---\n"+validVPC+"  bogus: 1\n", "\n", "\r\n")
	for name, in := range map[string]string{"bom": "\xef\xbb\xbf" + crlf, "crlf": crlf, "cr": strings.ReplaceAll(crlf, "\r\n", "\r")} {
		t.Run(name, func(t *testing.T) {
			docs, err := ParseFile([]byte(in), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 {
				t.Fatalf("%d documents, want 2", len(docs))
			}
			if docs[0].Line != 3 || docs[1].Line != 13 {
				t.Errorf("document lines %d, %d; want 3, 13", docs[0].Line, docs[1].Line)
			}
			if r, iss := reg.Decode(docs[0]); r == nil {
				t.Fatalf("first document: %v", iss)
			}
			_, iss := reg.Decode(docs[1])
			if len(iss) != 1 || iss[0].Line != 22 || iss[0].Code != CodeUnknownField {
				t.Errorf("second document: want unknown field on line 22, got %v", iss)
			}
			if name != "bom" && !bytes.HasPrefix(docs[0].Raw, []byte("apiVersion")) {
				t.Errorf("Raw starts %q", docs[0].Raw[:20])
			}
			if name == "crlf" && !bytes.Contains(docs[1].Raw, []byte("\r\n")) {
				t.Error("Raw lost the original line ends")
			}
		})
	}
}
