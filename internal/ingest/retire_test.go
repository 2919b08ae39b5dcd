package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goodVPC = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets:\n    default:\n      subnet: 10.0.1.0/24\n      vlan: 1001\n"

// badVPC is goodVPC with a typo: rejected whole.
var badVPC = strings.Replace(goodVPC, "  subnets:", "  subnetz:", 1)

// unmanagedEntries lists unmanaged/ without .gitkeep.
func unmanagedEntries(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, f := range files(t, filepath.Join(root, "unmanaged")) {
		if filepath.Base(f) != ".gitkeep" {
			out = append(out, f)
		}
	}
	return out
}

// TestRetireAfterFix: a rejected file, fixed and dropped again (or edited
// in unmanaged/ and moved back to raw/), leaves no stale entry in
// unmanaged/: the entry and its sidecar move to .hnp/archive/ with a log
// record, and a re-run changes nothing.
func TestRetireAfterFix(t *testing.T) {
	for _, fixPath := range []string{"redrop", "move back"} {
		t.Run(fixPath, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "raw", "bad.yaml"), []byte(badVPC))
			rep := run(t, root, Options{})
			if rep.Unmanaged != 1 || len(unmanagedEntries(t, root)) != 2 {
				t.Fatalf("first run: unmanaged %d, entries %v", rep.Unmanaged, unmanagedEntries(t, root))
			}
			switch fixPath {
			case "redrop":
				write(t, filepath.Join(root, "raw", "bad.yaml"), []byte(goodVPC))
			case "move back":
				if err := os.Rename(filepath.Join(root, "unmanaged", "bad.yaml"), filepath.Join(root, "raw", "bad.yaml")); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(root, "raw", "bad.yaml"), []byte(goodVPC))
			}
			rep = run(t, root, Options{})
			if rep.Ingested != 1 || rep.Unmanaged != 0 {
				t.Fatalf("fixed run: %s", dump(rep))
			}
			if got := unmanagedEntries(t, root); len(got) != 0 {
				t.Errorf("unmanaged/ still holds %v", got)
			}
			if len(rep.Retired) != 1 || rep.Retired[0].Original != "raw/bad.yaml" {
				t.Errorf("report's retired: %+v", rep.Retired)
			}
			log, err := os.ReadFile(filepath.Join(root, ".hnp", "archive-log.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(log), "outcome: retired"); n == 0 {
				t.Errorf("archive log has no retired record:\n%s", log)
			}
			archived := files(t, filepath.Join(root, ".hnp", "archive"))
			want := "unmanaged__bad.yaml.metadata"
			if !slices.ContainsFunc(archived, func(f string) bool { return filepath.Base(f) == want }) {
				t.Errorf("archive lacks the sidecar %s: %v", want, archived)
			}
			if fixPath == "redrop" && !slices.ContainsFunc(archived, func(f string) bool { return filepath.Base(f) == "unmanaged__bad.yaml" }) {
				t.Errorf("archive lacks the stale file: %v", archived)
			}
			before := tree(t, root)
			if rep := run(t, root, Options{}); rep.Changed || len(rep.Retired) != 0 {
				t.Errorf("re-run changed the tree: %s", dump(rep))
			}
			if d := diffTrees(before, tree(t, root)); d != "" {
				t.Errorf("re-run changed the tree:\n%s", d)
			}
		})
	}
}

// TestRetireKeepsOthers: ingesting one file retires only its own stale
// entries; a dry run reports the retirement and moves nothing; a file
// rejected again with other content replaces its old entry.
func TestRetireKeepsOthers(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "raw", "bad.yaml"), []byte(badVPC))
	write(t, filepath.Join(root, "raw", "other.yaml"), []byte(strings.Replace(badVPC, "vpc-1", "vpc-2", 1)))
	run(t, root, Options{})
	if n := len(unmanagedEntries(t, root)); n != 4 {
		t.Fatalf("want 2 files and 2 sidecars in unmanaged/, got %d", n)
	}
	write(t, filepath.Join(root, "raw", "bad.yaml"), []byte(goodVPC))
	before := tree(t, root)
	dry := run(t, root, Options{DryRun: true})
	if len(dry.Retired) != 1 || !dry.Changed {
		t.Errorf("dry run: retired %+v, changed %v", dry.Retired, dry.Changed)
	}
	if d := diffTrees(before, tree(t, root)); d != "" {
		t.Errorf("dry run wrote:\n%s", d)
	}
	run(t, root, Options{})
	got := unmanagedEntries(t, root)
	if len(got) != 2 || !strings.HasSuffix(got[0], "other.yaml") {
		t.Errorf("other.yaml's entry must stay: %v", got)
	}
	// Rejected again, for another reason: the new entry replaces the old.
	write(t, filepath.Join(root, "raw", "other.yaml"), []byte(strings.Replace(badVPC, "vpc-1", "vpc-3", 1)))
	rep := run(t, root, Options{})
	if rep.Unmanaged != 1 || len(rep.Retired) != 1 || rep.Retired[0].Path != "unmanaged/other.yaml" {
		t.Errorf("re-rejected: %s", dump(rep))
	}
	if got := unmanagedEntries(t, root); len(got) != 2 {
		t.Errorf("unmanaged/ must hold the new entry and its sidecar only: %v", got)
	}
}
