package ingest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// netboxFGD lays out an FGD the way the Hedgehog NetBox plugin leaves one:
// its 12 managed folders (some with files, valid: the plugin writes what
// the schemas accept), its own manifest keys, YAML in
// the root, in raw/ and in a subfolder, a Gateway document and a README.
func netboxFGD(t *testing.T, root string) {
	for _, d := range resource.KindDirs() {
		os.MkdirAll(filepath.Join(root, "managed", d), 0o755)
	}
	write(t, filepath.Join(root, "managed/vpcs/vpc-1.yaml"), []byte(testdocs.VPC("vpc-1")))
	write(t, filepath.Join(root, ".hnp/manifest.yaml"), []byte("# Hedgehog NetBox plugin\nplugin_version: 0.4.2\nnetbox_fabric_id: 17\nfabric: dc1\ngit:\n  branch: main\n"))
	write(t, filepath.Join(root, "README.md"), []byte("# dc1\nmanaged by NetBox\n"))
	write(t, filepath.Join(root, ".hnp/archive-log.yaml"), []byte(netboxArchiveLog))
	write(t, filepath.Join(root, "wiring.yaml"), corpusFile(t, "docs__docs__user-guide__devices.md__L178__Server.yaml"))
	write(t, filepath.Join(root, "raw/vpcs.yaml"), corpusFile(t, "demo-gitops__env-1__pre-demo.yaml"))
	write(t, filepath.Join(root, "site/racks/ns.yml"), corpusFile(t, "docs__docs__user-guide__vpcs.md__L303__ipv4namespace.yaml"))
	write(t, filepath.Join(root, "gateway.yaml"), []byte("apiVersion: gateway.githedgehog.com/v1alpha1\nkind: Gateway\nmetadata:\n  name: gw-1\n  namespace: fab\nspec:\n  asn: 65534\n"))
	write(t, filepath.Join(root, "site/notes.txt"), []byte("left alone"))
	write(t, filepath.Join(root, ".git/config.yaml"), []byte("not ours: a dot-folder"))
}

// netboxArchiveLog stands for a log in another tool's shape.
const netboxArchiveLog = "entries:\n  - file: raw/old.yaml\n    archived: 2024-01-02T03:04:05Z\n    netbox_job: 41\n"

// TestNetBoxOnboarding is acceptance point 3.
func TestNetBoxOnboarding(t *testing.T) {
	root := t.TempDir()
	netboxFGD(t, root)
	readme := tree(t, root)["README.md"]
	rep := run(t, root, Options{Fabric: "dc1"})

	want := map[string]string{
		"wiring.yaml":       OutcomeIngested,
		"raw/vpcs.yaml":     OutcomeIngested,
		"site/racks/ns.yml": OutcomeIngested,
		"gateway.yaml":      OutcomeUnmanaged,
	}
	if len(rep.Files) != len(want) {
		t.Errorf("files: %+v", rep.Files)
	}
	for _, f := range rep.Files {
		if want[f.Path] != f.Outcome {
			t.Errorf("%s: outcome %q, want %q (%v)", f.Path, f.Outcome, want[f.Path], f.Reasons)
		}
	}
	// Nothing stranded: no YAML outside managed/, unmanaged/, .hnp/ and dot-folders.
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (rel == "managed" || rel == "unmanaged" || rel == ".hnp" || rel == ".git") {
			return fs.SkipDir
		}
		if !d.IsDir() && isYAMLName(d.Name()) {
			t.Errorf("YAML stranded at %s", rel)
		}
		return nil
	})
	side, err := os.ReadFile(filepath.Join(root, "unmanaged/gateway.yaml.metadata"))
	if err != nil || !strings.Contains(string(side), resource.CodeNotFabricKind) {
		t.Errorf("Gateway sidecar: %s %v", side, err)
	}
	for _, p := range []string{"managed/servers/server-1.yaml", "managed/ipv4namespaces/default.yaml", "managed/vpcs/demo-vpc-1.yaml", "managed/vpcs/vpc-1.yaml",
		".hnp/archive/wiring.yaml", ".hnp/archive/vpcs.yaml", ".hnp/archive/site__racks__ns.yml", "site/notes.txt", ".git/config.yaml"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if got := tree(t, root)["README.md"]; got != readme {
		t.Error("README.md changed")
	}
	m, _ := os.ReadFile(filepath.Join(root, ".hnp/manifest.yaml"))
	for _, s := range []string{"# Hedgehog NetBox plugin", "plugin_version: 0.4.2", "netbox_fabric_id: 17", "branch: main", "fabric: dc1", "layout_version: 1", "fgd_version:"} {
		if !strings.Contains(string(m), s) {
			t.Errorf("manifest lacks %q:\n%s", s, m)
		}
	}
	// The plugin's archive log is kept whole beside fgd's new one.
	kept, _ := filepath.Glob(filepath.Join(root, ".hnp/archive-log.foreign-*.yaml"))
	if len(kept) != 1 {
		t.Fatalf("the plugin's archive log was not kept aside: %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != netboxArchiveLog {
		t.Errorf("the plugin's archive log changed: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, ".hnp/archive-log.yaml")); !strings.Contains(string(b), "sha256:") {
		t.Errorf("fgd's archive log was not started: %q", b)
	}
	// The plugin's pre-existing managed file is left as it was.
	if b, _ := os.ReadFile(filepath.Join(root, "managed/vpcs/vpc-1.yaml")); string(b) != testdocs.VPC("vpc-1") {
		t.Error("a pre-existing managed file was rewritten")
	}
	// And a second sync finds nothing to do.
	before := tree(t, root)
	if rep := run(t, root, Options{Fabric: "dc1"}); rep.Changed {
		t.Errorf("second sync changed something: %+v", rep)
	}
	if d := diffTrees(before, tree(t, root)); d != "" {
		t.Errorf("second sync changed the tree:\n%s", d)
	}
}

// TestDryRunWritesNothing checks at the library level what `fgd plan`
// promises: the same report as a real run, and no write at all.
func TestDryRunWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root string)
	}{
		{"fresh folder with raw/ only", func(t *testing.T, root string) {
			for _, n := range corpusFiles(t) {
				write(t, filepath.Join(root, "raw", n), corpusFile(t, n))
			}
		}},
		{"NetBox plugin FGD", netboxFGD},
		{"FGD after an ingest, with new drops", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "raw/a.yaml"), []byte(server("s1", "", "one")))
			run(t, root, Options{})
			write(t, filepath.Join(root, "raw/a.yaml"), []byte(server("s1", "", "two")))
			write(t, filepath.Join(root, "raw/b.yaml"), []byte("bad: ["))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.setup(t, root)
			before := tree(t, root)
			plan := run(t, root, Options{DryRun: true})
			if d := diffTrees(before, tree(t, root)); d != "" {
				t.Fatalf("dry run wrote:\n%s", d)
			}
			if !plan.Changed || !plan.DryRun {
				t.Fatalf("dry run: changed=%v dry=%v", plan.Changed, plan.DryRun)
			}
			real := run(t, root, Options{})
			// The plan predicted the run, file by file and resource by resource.
			if dump(plan.Files) != dump(real.Files) || dump(plan.Resources) != dump(real.Resources) ||
				dump(plan.Conflicts) != dump(real.Conflicts) || plan.Created != real.Created || plan.Updated != real.Updated {
				t.Errorf("plan and run differ:\nplan %s\nrun  %s", dump(plan.Files), dump(real.Files))
			}
			if again := run(t, root, Options{DryRun: true}); again.Changed {
				t.Errorf("dry run after ingest still reports changes: %+v %+v", again.Repairs, again.Files)
			}
		})
	}
}
