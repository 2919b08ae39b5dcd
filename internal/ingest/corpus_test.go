package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
)

type expected struct {
	ManagedPaths        []string `json:"managed_paths"`
	FilesWithRejections []string `json:"files_with_rejections"`
	Files               map[string][]struct {
		Index   int    `json:"index"`
		Verdict string `json:"verdict"`
		Why     string `json:"why"`
	} `json:"files"`
}

// TestCorpusEndToEnd is acceptance point 1: the corpus dropped into raw/ of
// a fresh FGD lands exactly where EXPECTED.json says.
func TestCorpusEndToEnd(t *testing.T) {
	var exp expected
	if err := json.Unmarshal(corpusFile(t, "EXPECTED.json"), &exp); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, n := range corpusFiles(t) {
		write(t, filepath.Join(root, "raw", n), corpusFile(t, n))
	}
	rep := run(t, root, Options{})

	got := files(t, filepath.Join(root, "managed"))
	for i := range got {
		got[i] = "managed/" + got[i]
	}
	want := slices.Clone(exp.ManagedPaths)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("managed paths differ from EXPECTED.json\n got: %v\nwant: %v", got, want)
	}
	// Every managed file parses and says where it came from.
	for _, p := range got {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Errorf("%s does not parse: %v", p, err)
		}
		if !strings.Contains(string(b), "hnp.githedgehog.com/original-file: raw/") {
			t.Errorf("%s has no provenance:\n%s", p, b)
		}
	}
	// Every file with rejections has an unmanaged file and a sidecar naming the failing field.
	for _, f := range exp.FilesWithRejections {
		data, err := os.ReadFile(filepath.Join(root, "unmanaged", f))
		if err != nil {
			t.Errorf("%s: no unmanaged file: %v", f, err)
			continue
		}
		if len(data) == 0 {
			t.Errorf("%s: unmanaged file is empty", f)
		}
		side, err := os.ReadFile(filepath.Join(root, "unmanaged", f+fgd.SidecarSuffix))
		if err != nil {
			t.Errorf("%s: no sidecar: %v", f, err)
			continue
		}
		var sc fgd.Sidecar
		if err := yaml.Unmarshal(side, &sc); err != nil {
			t.Fatalf("%s sidecar: %v", f, err)
		}
		if sc.Original != "raw/"+f || len(sc.Reasons) == 0 || sc.When == "" || sc.Fabric != "test" {
			t.Errorf("%s sidecar incomplete: %+v", f, sc)
		}
		for _, d := range exp.Files[f] {
			if d.Verdict != "rejected" {
				continue
			}
			if !sidecarNames(sc, d.Index, d.Why) {
				t.Errorf("%s document %d: sidecar does not name the failing field of %q; reasons: %+v", f, d.Index, d.Why, sc.Reasons)
			}
		}
	}
	// demo.reset.yaml (comments only) is archived and changes nothing else.
	const reset = "demo-gitops__env-1__demo.reset.yaml"
	if _, err := os.Stat(filepath.Join(root, ".hnp/archive", reset)); err != nil {
		t.Errorf("%s not archived: %v", reset, err)
	}
	if _, err := os.Stat(filepath.Join(root, "unmanaged", reset)); err == nil {
		t.Errorf("%s went to unmanaged/", reset)
	}
	for _, f := range rep.Files {
		if f.Path == "raw/"+reset && (f.Outcome != OutcomeEmpty || f.Resources != 0) {
			t.Errorf("%s: %+v", reset, f)
		}
	}
	if left := files(t, filepath.Join(root, "raw")); len(left) != 0 {
		t.Errorf("raw/ not empty after ingest: %v", left)
	}
	// Every original is archived or whole in unmanaged/, and logged.
	logb, _ := os.ReadFile(filepath.Join(root, fgd.ArchiveLog))
	var recs []Record
	if err := yaml.Unmarshal(logb, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(corpusFiles(t)) {
		t.Errorf("archive log has %d records for %d files", len(recs), len(corpusFiles(t)))
	}
	if rep.Failed != 0 || !rep.Changed || rep.Created != len(want) {
		t.Errorf("report: failed=%d changed=%v created=%d (want %d)", rep.Failed, rep.Changed, rep.Created, len(want))
	}
}

// sidecarNames reports whether the sidecar has a reason for document idx
// whose field path or message names what EXPECTED.json's why names.
func sidecarNames(sc fgd.Sidecar, idx int, why string) bool {
	for _, r := range sc.Reasons {
		if r.Document != idx {
			continue
		}
		// why is like "schema: spec: 'role' is a required property" or
		// "schema: spec.subnets.x: Additional properties are not allowed ('a' were unexpected)".
		field := ""
		if rest, ok := strings.CutPrefix(why, "schema: "); ok {
			where, msg, _ := strings.Cut(rest, ": ")
			field = where
			if strings.Contains(msg, "is a required property") || strings.Contains(msg, "unexpected)") {
				if i := strings.Index(msg, "'"); i >= 0 {
					if j := strings.Index(msg[i+1:], "'"); j >= 0 {
						field = msg[i+1 : i+1+j]
					}
				}
			}
		}
		path := strings.NewReplacer("[", ".", "]", "").Replace(r.Path)
		if field == "" || strings.Contains(path, field) || strings.Contains(r.Message, field) {
			return true
		}
	}
	return false
}

// TestIngestTwiceChangesNothing is acceptance point 2.
func TestIngestTwiceChangesNothing(t *testing.T) {
	root := t.TempDir()
	for _, n := range corpusFiles(t) {
		write(t, filepath.Join(root, "raw", n), corpusFile(t, n))
	}
	run(t, root, Options{})
	before := tree(t, root)
	rep := run(t, root, Options{Now: func() time.Time { return fixedNow().Add(time.Hour) }})
	if d := diffTrees(before, tree(t, root)); d != "" {
		t.Fatalf("second ingest changed the tree:\n%s", d)
	}
	if rep.Changed || len(rep.Files) != 0 || len(rep.Repairs) != 0 {
		t.Fatalf("second ingest reports changes: %s", dump(rep))
	}

	// Managed files dropped back into raw/ change nothing in managed/.
	managedBefore := tree(t, filepath.Join(root, "managed"))
	for _, p := range files(t, filepath.Join(root, "managed")) {
		b, _ := os.ReadFile(filepath.Join(root, "managed", p))
		write(t, filepath.Join(root, "raw", strings.ReplaceAll(p, "/", "_")), b)
	}
	rep = run(t, root, Options{})
	if d := diffTrees(managedBefore, tree(t, filepath.Join(root, "managed"))); d != "" {
		t.Fatalf("re-ingesting managed files changed managed/:\n%s", d)
	}
	if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != len(files(t, filepath.Join(root, "managed"))) || len(rep.Conflicts) != 0 {
		t.Fatalf("re-ingest: created %d updated %d unchanged %d conflicts %v", rep.Created, rep.Updated, rep.Unchanged, rep.Conflicts)
	}
}
