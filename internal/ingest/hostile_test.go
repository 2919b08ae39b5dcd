package ingest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/resource"
)

// server is a small valid resource (wiring Server, v1beta1).
func server(name, ns, desc string) string {
	s := "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n  name: " + name + "\n"
	if ns != "" {
		s += "  namespace: " + ns + "\n"
	}
	return s + "spec:\n  description: " + desc + "\n"
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n  name: bomb\n")
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

// hostileCase is one hostile input: setup puts it into the FGD at root.
type hostileCase struct {
	name  string
	setup func(t *testing.T, root string)
	file  string // the input whose fate is checked
	// outcome of file; codes must all appear among file's errors.
	outcome string
	codes   []string
	check   func(t *testing.T, root string, rep *Report)
	memory  bool // measure heap growth
}

func hostileCases() []hostileCase {
	put := func(rel, content string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) { write(t, filepath.Join(root, rel), []byte(content)) }
	}
	valid := server("s1", "", "ok")
	return []hostileCase{
		{name: "malformed YAML", setup: put("raw/bad.yaml", "apiVersion: [unclosed\nkind: Server\n"), file: "raw/bad.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeSyntax}},
		{name: "alias bomb", setup: put("raw/bomb.yaml", aliasBomb()), file: "raw/bomb.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeAliasBomb}, memory: true},
		{name: "100000-deep nesting", setup: put("raw/deep.yaml", "a: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n"), file: "raw/deep.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeTooDeep}, memory: true},
		{name: "50 MiB file", setup: func(t *testing.T, root string) {
			write(t, filepath.Join(root, "raw/big.yaml"), bytes.Repeat([]byte("# padding padding padding padding padding padding\n"), 50<<20/50))
		}, file: "raw/big.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeTooLarge}, memory: true,
			check: func(t *testing.T, root string, rep *Report) {
				if fi, err := os.Stat(filepath.Join(root, "unmanaged/big.yaml")); err != nil || fi.Size() != 50<<20/50*50 {
					t.Errorf("big file not copied whole to unmanaged/: %v", err)
				}
			}},
		{name: "binary data", setup: put("raw/bin.yaml", "kind: \x00\x01\x02\xff"), file: "raw/bin.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeBinary}},
		{name: "invalid UTF-8", setup: put("raw/latin1.yaml", "metadata:\n  name: caf\xe9\n"), file: "raw/latin1.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeInvalidUTF8}},
		{name: "BOM", setup: put("raw/bom.yaml", "\xef\xbb\xbf"+valid), file: "raw/bom.yaml", outcome: OutcomeIngested,
			check: wantManaged("managed/servers/s1.yaml")},
		{name: "CRLF line ends", setup: put("raw/crlf.yaml", strings.ReplaceAll(valid, "\n", "\r\n")), file: "raw/crlf.yaml", outcome: OutcomeIngested,
			check: wantManaged("managed/servers/s1.yaml")},
		{name: "tab indentation", setup: put("raw/tabs.yaml", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n\tname: s1\n"), file: "raw/tabs.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeSyntax}},
		{name: "duplicate keys", setup: put("raw/dup.yaml", valid+"kind: Switch\n"), file: "raw/dup.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeDuplicateKey}},
		{name: "symlink to /etc/passwd", setup: func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "raw"), 0o755)
			must(t, os.Symlink("/etc/passwd", filepath.Join(root, "raw/passwd.yaml")))
		}, file: "raw/passwd.yaml", outcome: OutcomeUnmanaged, codes: []string{CodeSymlink},
			check: func(t *testing.T, root string, rep *Report) {
				if tgt, err := os.Readlink(filepath.Join(root, "unmanaged/passwd.yaml")); err != nil || tgt != "/etc/passwd" {
					t.Errorf("the link was not moved to unmanaged/: %q %v", tgt, err)
				}
				side, _ := os.ReadFile(filepath.Join(root, "unmanaged/passwd.yaml.metadata"))
				if !strings.Contains(string(side), "symlink not followed") || strings.Contains(string(side), "root:") {
					t.Errorf("sidecar: %s", side)
				}
			}},
		{name: "symlink loop", setup: func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "raw"), 0o755)
			must(t, os.Symlink("b.yaml", filepath.Join(root, "raw/a.yaml")))
			must(t, os.Symlink("a.yaml", filepath.Join(root, "raw/b.yaml")))
		}, file: "raw/a.yaml", outcome: OutcomeUnmanaged, codes: []string{CodeSymlink}},
		{name: "dangling symlink outside raw", setup: func(t *testing.T, root string) {
			must(t, os.Symlink("/nonexistent/x", filepath.Join(root, "gone.yaml")))
		}, file: "gone.yaml", outcome: OutcomeUnmanaged, codes: []string{CodeSymlink}},
		{name: "name with ../", setup: put("raw/dots.yaml", server("../../x", "", "d")), file: "raw/dots.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeInvalidName},
			check: func(t *testing.T, root string, rep *Report) {
				if _, err := os.Lstat(filepath.Join(root, "x.yaml")); err == nil {
					t.Error("wrote outside managed/")
				}
			}},
		{name: "upper-case name", setup: put("raw/upper.yaml", server("Server-1", "", "d")), file: "raw/upper.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeInvalidName}},
		{name: "300-character name", setup: put("raw/long.yaml", server(strings.Repeat("a", 300), "", "d")), file: "raw/long.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeInvalidName}},
		{name: "missing kind", setup: put("raw/nokind.yaml", "apiVersion: wiring.githedgehog.com/v1beta1\nmetadata:\n  name: s1\nspec: {}\n"), file: "raw/nokind.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeMissingKind}},
		{name: "missing apiVersion", setup: put("raw/noapi.yaml", "kind: Server\nmetadata:\n  name: s1\nspec: {}\n"), file: "raw/noapi.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeMissingAPIVersion}},
		{name: "spec: null", setup: put("raw/null.yaml", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: SwitchGroup\nmetadata:\n  name: g\nspec:\n"), file: "raw/null.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeSchema}},
		{name: "unknown field", setup: put("raw/unknown.yaml", valid+"  color: blue\n"), file: "raw/unknown.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeUnknownField}},
		{name: "not a mapping", setup: put("raw/list.yaml", "- a\n- b\n"), file: "raw/list.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeNotObject}},
		{name: "unsupported kind (Gateway)", setup: put("raw/gw.yaml", "apiVersion: gateway.githedgehog.com/v1alpha1\nkind: Gateway\nmetadata:\n  name: gw-1\nspec: {}\n"), file: "raw/gw.yaml", outcome: OutcomeUnmanaged, codes: []string{resource.CodeNotFabricKind}},
		{name: "mixed valid and invalid documents", setup: put("raw/mixed.yaml", valid+"---\n"+server("Bad", "", "x")+"---\n"+server("s2", "", "ok")), file: "raw/mixed.yaml", outcome: OutcomePartial, codes: []string{resource.CodeInvalidName},
			check: func(t *testing.T, root string, rep *Report) {
				wantManaged("managed/servers/s1.yaml", "managed/servers/s2.yaml")(t, root, rep)
				b, _ := os.ReadFile(filepath.Join(root, "unmanaged/mixed.yaml"))
				if !strings.Contains(string(b), "name: Bad") || strings.Contains(string(b), "name: s1") {
					t.Errorf("unmanaged/mixed.yaml should hold just the rejected document:\n%s", b)
				}
				if _, err := os.Stat(filepath.Join(root, ".hnp/archive/mixed.yaml")); err != nil {
					t.Error("mixed original not archived")
				}
			}},
		{name: "one identity in two files, different content", setup: func(t *testing.T, root string) {
			put("raw/a.yaml", server("s1", "", "first"))(t, root)
			put("raw/b.yaml", server("s1", "default", "second"))(t, root)
		}, file: "raw/b.yaml", outcome: OutcomeIngested,
			check: func(t *testing.T, root string, rep *Report) {
				b, _ := os.ReadFile(filepath.Join(root, "managed/servers/s1.yaml"))
				if !strings.Contains(string(b), "description: second") {
					t.Errorf("the later file did not win:\n%s", b)
				}
				if len(rep.Conflicts) != 1 || rep.Conflicts[0].Kind != ConflictIdentity || rep.Conflicts[0].Winner.File != "raw/b.yaml" ||
					!slices.Equal(rep.Conflicts[0].Documents, []DocumentRef{{"raw/a.yaml", 0}, {"raw/b.yaml", 0}}) {
					t.Errorf("conflicts: %+v", rep.Conflicts)
				}
			}},
		{name: "one identity in two files, identical content", setup: func(t *testing.T, root string) {
			put("raw/a.yaml", valid)(t, root)
			put("raw/b.yaml", valid)(t, root)
		}, file: "raw/b.yaml", outcome: OutcomeIngested,
			check: func(t *testing.T, root string, rep *Report) {
				if len(rep.Conflicts) != 0 {
					t.Errorf("identical documents reported as a conflict: %+v", rep.Conflicts)
				}
			}},
		{name: "two identities on one file name", setup: func(t *testing.T, root string) {
			put("raw/a.yaml", server("b-c", "a", "first"))(t, root)
			put("raw/b.yaml", server("c", "a-b", "second"))(t, root)
		}, file: "raw/b.yaml", outcome: OutcomeUnmanaged, codes: []string{CodePathConflict},
			check: func(t *testing.T, root string, rep *Report) {
				b, _ := os.ReadFile(filepath.Join(root, "managed/servers/a-b-c.yaml"))
				if !strings.Contains(string(b), "description: first") {
					t.Errorf("the first identity lost its file:\n%s", b)
				}
				if len(rep.Conflicts) != 1 || rep.Conflicts[0].Kind != ConflictPath {
					t.Errorf("conflicts: %+v", rep.Conflicts)
				}
			}},
		{name: "identity colliding with an existing managed file", setup: func(t *testing.T, root string) {
			put("managed/servers/a-b-c.yaml", server("b-c", "a", "already there"))(t, root)
			put("raw/b.yaml", server("c", "a-b", "newcomer"))(t, root)
		}, file: "raw/b.yaml", outcome: OutcomeUnmanaged, codes: []string{CodePathConflict},
			check: func(t *testing.T, root string, rep *Report) {
				b, _ := os.ReadFile(filepath.Join(root, "managed/servers/a-b-c.yaml"))
				if !strings.Contains(string(b), "already there") {
					t.Errorf("existing managed file overwritten:\n%s", b)
				}
			}},
		{name: "empty file", setup: put("raw/empty.yaml", ""), file: "raw/empty.yaml", outcome: OutcomeEmpty,
			check: func(t *testing.T, root string, rep *Report) {
				if _, err := os.Stat(filepath.Join(root, ".hnp/archive/empty.yaml")); err != nil {
					t.Error("empty file not archived")
				}
			}},
		{name: "comment-only file", setup: put("raw/comments.yaml", "# nothing\n---\n# still nothing\n"), file: "raw/comments.yaml", outcome: OutcomeEmpty},
		{name: "directory named x.yaml", setup: put("raw/x.yaml/inner.yaml", valid), file: "raw/x.yaml/inner.yaml", outcome: OutcomeIngested,
			check: func(t *testing.T, root string, rep *Report) {
				if len(rep.Skipped) != 1 || rep.Skipped[0].Path != "raw/x.yaml" {
					t.Errorf("skipped: %+v", rep.Skipped)
				}
				if _, err := os.Stat(filepath.Join(root, ".hnp/archive/raw__x.yaml__inner.yaml")); err != nil {
					t.Error("inner file not archived under its path name")
				}
			}},
		{name: "FIFO", setup: func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "raw"), 0o755)
			must(t, syscall.Mkfifo(filepath.Join(root, "raw/pipe.yaml"), 0o644))
		}, file: "raw/pipe.yaml", outcome: OutcomeError, codes: []string{CodeSpecial},
			check: func(t *testing.T, root string, rep *Report) {
				if fi, err := os.Lstat(filepath.Join(root, "raw/pipe.yaml")); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
					t.Error("the FIFO was not left in place")
				}
				if !rep.Failures() {
					t.Error("a file left in place is not a failure")
				}
			}},
		{name: "unreadable file (chmod 000)", setup: func(t *testing.T, root string) {
			if os.Geteuid() == 0 {
				t.Skip("running as root, which reads mode-000 files; the left-in-place path is covered by the FIFO case")
			}
			put("raw/secret.yaml", valid)(t, root)
			must(t, os.Chmod(filepath.Join(root, "raw/secret.yaml"), 0))
		}, file: "raw/secret.yaml", outcome: OutcomeError, codes: []string{CodeUnreadable}},
		{name: ".yml file", setup: put("raw/s.yml", valid), file: "raw/s.yml", outcome: OutcomeIngested, check: wantManaged("managed/servers/s1.yaml")},
		{name: "non-YAML file in raw", setup: put("raw/notes.txt", "hello"), file: "raw/notes.txt", outcome: OutcomeUnmanaged, codes: []string{CodeNotYAML}},
		{name: "file in a subfolder", setup: put("site/a/s.yaml", valid), file: "site/a/s.yaml", outcome: OutcomeIngested,
			check: func(t *testing.T, root string, rep *Report) {
				if _, err := os.Stat(filepath.Join(root, ".hnp/archive/site__a__s.yaml")); err != nil {
					t.Error("not archived as site__a__s.yaml")
				}
			}},
		{name: "dotfile in raw is left alone", setup: func(t *testing.T, root string) {
			put("raw/.hidden.yaml", "garbage: [")(t, root)
			put("raw/s.yaml", valid)(t, root)
		}, file: "raw/s.yaml", outcome: OutcomeIngested,
			check: func(t *testing.T, root string, rep *Report) {
				if _, err := os.Stat(filepath.Join(root, "raw/.hidden.yaml")); err != nil {
					t.Error("dotfile touched")
				}
			}},
		{name: "same name twice, different content", setup: func(t *testing.T, root string) {
			put("raw/dup.txt", "one")(t, root)
			put("raw/sub/dup.txt", "two")(t, root)
			put("raw/x.yaml", "::bad")(t, root)
			put("x.yaml", ": also bad :")(t, root)
		}, file: "x.yaml", outcome: OutcomeUnmanaged,
			check: func(t *testing.T, root string, rep *Report) {
				names := files(t, filepath.Join(root, "unmanaged"))
				hashed := 0
				for _, n := range names {
					if strings.HasPrefix(n, "x.") && strings.HasSuffix(n, ".yaml") && n != "x.yaml" {
						hashed++
					}
				}
				if !slices.Contains(names, "x.yaml") || hashed != 1 {
					t.Errorf("want x.yaml and one x.<hash>.yaml in unmanaged/, got %v", names)
				}
			}},
	}
}

func wantManaged(paths ...string) func(t *testing.T, root string, rep *Report) {
	return func(t *testing.T, root string, rep *Report) {
		t.Helper()
		for _, p := range paths {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("%s missing: %v", p, err)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestHostileInput is acceptance point 5: each hostile input gets its
// precise reason, nothing crashes, nothing is lost, memory stays bounded.
func TestHostileInput(t *testing.T) {
	cases := hostileCases()
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.setup(t, root)
			inputs := contentsOf(t, root)
			var rep *Report
			peak := heapGrowth(func() { rep = run(t, root, Options{Workers: 2}) })
			if tc.memory {
				t.Logf("heap growth %d MiB", peak>>20)
				if peak > 256<<20 {
					t.Errorf("heap grew by %d MiB", peak>>20)
				}
			}
			var got *FileResult
			for i := range rep.Files {
				if rep.Files[i].Path == tc.file {
					got = &rep.Files[i]
				}
			}
			if got == nil {
				t.Fatalf("no result for %s; files: %+v", tc.file, rep.Files)
			}
			if got.Outcome != tc.outcome {
				t.Errorf("%s: outcome %q, want %q; reasons %v", tc.file, got.Outcome, tc.outcome, got.Reasons)
			}
			for _, code := range tc.codes {
				found := false
				for _, e := range rep.Errors {
					if e.File == tc.file && e.Code == code && e.Message != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: no error with code %q; errors: %+v", tc.file, code, rep.Errors)
				}
			}
			assertNothingLost(t, root, inputs)
			if tc.check != nil {
				tc.check(t, root, rep)
			}
		})
	}
}

// contentsOf maps the hash of each input (a file's bytes, a link's target)
// below root, outside fgd's own folders, to its path.
func contentsOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, h := range tree(t, root) {
		if strings.HasSuffix(p, "/") || strings.HasPrefix(p, "managed/") || strings.HasPrefix(p, ".hnp/") || strings.HasPrefix(p, "unmanaged/") {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(root, p)); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
			continue
		}
		out[contentOf(h)] = p
	}
	return out
}

// assertNothingLost checks every input is still somewhere in the FGD: in
// place, in the archive, or whole in unmanaged/.
func assertNothingLost(t *testing.T, root string, inputs map[string]string) {
	t.Helper()
	have := map[string]bool{}
	for _, h := range tree(t, root) {
		have[contentOf(h)] = true
	}
	for h, p := range inputs {
		if !have[h] {
			t.Errorf("input %s is nowhere in the FGD after the run", p)
		}
	}
}

// contentOf strips the mode from a tree() entry: what is left is the
// content's hash, or "-> target" for a symlink.
func contentOf(h string) string {
	if strings.HasPrefix(h, "-> ") {
		return h
	}
	return h[strings.LastIndex(h, " ")+1:]
}

// heapGrowth runs f and returns the peak growth of the live heap during it,
// sampled every millisecond.
func heapGrowth(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}
