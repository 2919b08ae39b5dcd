package resource

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from Normalize's output")

const (
	corpusDir = "../../testdata/corpus"
	goldenDir = "../../testdata/golden"
)

// expectedDoc is one document entry of testdata/corpus/EXPECTED.json.
type expectedDoc struct {
	Index   int    `json:"index"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Path    string `json:"path"`
	Why     string `json:"why"`
}

type expectedFile struct {
	ManagedPaths []string                 `json:"managed_paths"`
	Files        map[string][]expectedDoc `json:"files"`
}

func loadExpected(t testing.TB) expectedFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "EXPECTED.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedFile
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Files) == 0 {
		t.Fatal("EXPECTED.json lists no files")
	}
	return e
}

func newTestRegistry(t testing.TB) *Registry {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func parseCorpusFile(t testing.TB, name string) []Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := ParseFile(data, DefaultLimits())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return docs
}

// TestCorpusExpected walks EXPECTED.json: managed documents decode cleanly to the expected path, rejected
// ones give an issue naming the same field as EXPECTED's reason. It also checks the document indexes:
// EXPECTED lists every non-empty document, so the indexes of our non-empty documents must be exactly the
// listed ones (in the corpus, license headers before the first "---" are not documents, and a trailing
// "---" opens an empty one).
func TestCorpusExpected(t *testing.T) {
	exp := loadExpected(t)
	reg := newTestRegistry(t)
	var managed []string
	for name, want := range exp.Files {
		t.Run(name, func(t *testing.T) {
			docs := parseCorpusFile(t, name)
			var nonEmpty []int
			for i, d := range docs {
				if d.Index != i {
					t.Errorf("document %d has Index %d", i, d.Index)
				}
				if !d.Empty {
					nonEmpty = append(nonEmpty, d.Index)
				}
			}
			var listed []int
			for _, w := range want {
				listed = append(listed, w.Index)
			}
			if !slices.Equal(nonEmpty, listed) {
				t.Fatalf("non-empty document indexes %v, EXPECTED lists %v", nonEmpty, listed)
			}
			for _, w := range want {
				r, issues := reg.Decode(docs[w.Index])
				switch w.Verdict {
				case "managed":
					if len(issues) > 0 || r == nil {
						t.Errorf("document %d (%s %s): want managed, got issues %v", w.Index, w.Kind, w.Name, issues)
						continue
					}
					if got := r.ManagedPath(); got != w.Path {
						t.Errorf("document %d: ManagedPath %q, want %q", w.Index, got, w.Path)
					}
					if r.ID.Kind != w.Kind || r.ID.Name != w.Name {
						t.Errorf("document %d: identity %s, want %s %s", w.Index, r.ID, w.Kind, w.Name)
					}
					managed = append(managed, r.ManagedPath())
				case "rejected":
					if r != nil || len(issues) == 0 {
						t.Errorf("document %d (%s %s): want rejected (%s), got a resource", w.Index, w.Kind, w.Name, w.Why)
						continue
					}
					if msg := matchWhy(issues, w.Why); msg != "" {
						t.Errorf("document %d (%s %s): EXPECTED says %q; %s; got %v", w.Index, w.Kind, w.Name, w.Why, msg, issues)
					}
					for _, iss := range issues {
						if iss.Hint == "" || iss.Message == "" || iss.Code == "" || iss.Line == 0 || iss.Document != w.Index {
							t.Errorf("document %d: incomplete issue %+v", w.Index, iss)
						}
					}
				default:
					t.Fatalf("unknown verdict %q", w.Verdict)
				}
			}
		})
	}
	slices.Sort(managed)
	managed = slices.Compact(managed)
	if !slices.Equal(managed, exp.ManagedPaths) {
		t.Errorf("managed paths differ from EXPECTED.managed_paths:\n got %v\nwant %v", managed, exp.ManagedPaths)
	}
}

var (
	whyRe      = regexp.MustCompile(`^schema: ([^:]+): (.*)$`)
	quotedRe   = regexp.MustCompile(`'([^']+)'`)
	numericSeg = regexp.MustCompile(`\.(\d+)(\.|$)`)
)

// matchWhy returns "" when issues hold the reason EXPECTED gives (its wording is Python jsonschema's), or
// what is missing.
func matchWhy(issues []Issue, why string) string {
	has := func(f func(Issue) bool) bool { return slices.ContainsFunc(issues, f) }
	if strings.HasPrefix(why, "not a supported fabric resource") {
		if has(func(i Issue) bool { return i.Code == CodeNotFabricKind }) {
			return ""
		}
		return "no not-fabric-kind issue"
	}
	m := whyRe.FindStringSubmatch(why)
	if m == nil {
		return "cannot read EXPECTED's reason"
	}
	path := numericSeg.ReplaceAllString(m[1], "[$1]$2")
	path = strings.ReplaceAll(path, "].", "].") // keep "links[1]" followed by ".x" as is
	rest := m[2]
	switch {
	case strings.HasPrefix(rest, "Additional properties are not allowed"):
		names := quotedRe.FindAllStringSubmatch(rest, -1)
		if len(names) == 0 {
			return "no field named"
		}
		for _, n := range names {
			if !has(func(i Issue) bool {
				return i.Code == CodeUnknownField && i.Path == path && strings.Contains(i.Message, `"`+n[1]+`"`)
			}) {
				return "no unknown-field issue at " + path + " naming " + n[1]
			}
		}
		return ""
	case strings.HasSuffix(rest, "is a required property"):
		field := quotedRe.FindStringSubmatch(rest)[1]
		if has(func(i Issue) bool { return i.Code == CodeMissingField && i.Path == path+"."+field }) {
			return ""
		}
		return "no missing-field issue at " + path + "." + field
	case strings.HasSuffix(rest, "is not of type 'object'"):
		got := "got "
		if strings.HasPrefix(rest, "None ") {
			got = "got null"
		}
		if has(func(i Issue) bool {
			return i.Code == CodeSchema && i.Path == path && strings.Contains(i.Message, "must be an object") && strings.Contains(i.Message, got)
		}) {
			return ""
		}
		return "no type issue at " + path
	}
	return "reason not understood by the test: " + rest
}

// TestCorpusCommentOnly: a file of comments holds no document at all, so it changes nothing.
func TestCorpusCommentOnly(t *testing.T) {
	docs := parseCorpusFile(t, "demo-gitops__env-1__demo.reset.yaml")
	for _, d := range docs {
		if !d.Empty || d.Node != nil || d.Err != nil {
			t.Errorf("document %d is not empty: %+v", d.Index, d)
		}
	}
}

// goldenOutputs normalizes every managed document of the corpus. Files are taken in name order and a
// later one replaces an earlier one's output for the same identity, as the ingest pipeline does.
func goldenOutputs(t testing.TB) map[string][]byte {
	t.Helper()
	exp := loadExpected(t)
	reg := newTestRegistry(t)
	names := make([]string, 0, len(exp.Files))
	for n := range exp.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	out := map[string][]byte{}
	for _, name := range names {
		for _, d := range parseCorpusFile(t, name) {
			if d.Empty {
				continue
			}
			r, issues := reg.Decode(d)
			if r == nil {
				continue
			}
			if len(issues) > 0 {
				t.Fatalf("%s: resource and issues together", name)
			}
			b, err := Normalize(r, Provenance{Fabric: "corpus", OriginalFile: "raw/" + name, DocumentIndex: d.Index})
			if err != nil {
				t.Fatalf("%s document %d: %v", name, d.Index, err)
			}
			out[r.ManagedPath()] = b
		}
	}
	return out
}

// TestCorpusGolden compares Normalize's output with testdata/golden byte for byte (-update rewrites them).
func TestCorpusGolden(t *testing.T) {
	outs := goldenOutputs(t)
	if len(outs) != len(loadExpected(t).ManagedPaths) {
		t.Errorf("%d managed outputs, EXPECTED has %d managed paths", len(outs), len(loadExpected(t).ManagedPaths))
	}
	if *update {
		if err := os.RemoveAll(filepath.Join(goldenDir, "managed")); err != nil {
			t.Fatal(err)
		}
		for p, b := range outs {
			f := filepath.Join(goldenDir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for p, b := range outs {
		if bytes.Contains(b, []byte("\nstatus:")) || !bytes.Contains(b, []byte("hnp.githedgehog.com/managed-by: fgd\n")) ||
			!bytes.HasPrefix(b, []byte("apiVersion: ")) && !bytes.HasPrefix(b, []byte("#")) || bytes.HasPrefix(b, []byte("---")) {
			t.Errorf("%s: not a managed file (status, provenance or layout):\n%s", p, b)
		}
		want, err := os.ReadFile(filepath.Join(goldenDir, filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/resource -update)", p, err)
			continue
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from its golden file:\n--- got\n%s\n--- want\n%s", p, b, want)
		}
	}
	// No stale golden file.
	err := filepath.WalkDir(goldenDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(goldenDir, path)
		if _, ok := outs[filepath.ToSlash(rel)]; !ok {
			t.Errorf("stale golden file %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGoldenIdempotent: normalizing a managed file again (even with other provenance, as when it is
// copied back into raw/) gives the same bytes.
func TestGoldenIdempotent(t *testing.T) {
	reg := newTestRegistry(t)
	n := 0
	err := filepath.WalkDir(goldenDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs, err := ParseFile(data, DefaultLimits())
		if err != nil || len(docs) != 1 {
			t.Fatalf("%s: %v, %d documents", path, err, len(docs))
		}
		r, issues := reg.Decode(docs[0])
		if r == nil {
			t.Fatalf("%s: %v", path, issues)
		}
		again, err := Normalize(r, Provenance{Fabric: "other", OriginalFile: "raw/copy.yaml", DocumentIndex: 7})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Errorf("%s is not a fixed point of Normalize:\n%s", path, again)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no golden files")
	}
}

// TestCorpusIdempotent: for every managed document of the corpus (not only the ones that win a golden
// file), normalizing the normalized bytes again changes nothing.
func TestCorpusIdempotent(t *testing.T) {
	reg := newTestRegistry(t)
	n := 0
	for name := range loadExpected(t).Files {
		for _, d := range parseCorpusFile(t, name) {
			if d.Empty {
				continue
			}
			r, _ := reg.Decode(d)
			if r == nil {
				continue
			}
			n++
			out, err := Normalize(r, Provenance{Fabric: "corpus", OriginalFile: "raw/" + name, DocumentIndex: d.Index})
			if err != nil {
				t.Fatal(err)
			}
			docs, err := ParseFile(out, DefaultLimits())
			if err != nil || len(docs) != 1 {
				t.Fatalf("%s document %d: output does not parse as one document: %v", name, d.Index, err)
			}
			r2, issues := reg.Decode(docs[0])
			if r2 == nil {
				t.Fatalf("%s document %d: output does not decode: %v", name, d.Index, issues)
			}
			again, err := Normalize(r2, Provenance{})
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("%s document %d: not idempotent (err %v):\n%s\n---\n%s", name, d.Index, err, out, again)
			}
		}
	}
	if n < 45 {
		t.Errorf("only %d managed documents", n)
	}
}
