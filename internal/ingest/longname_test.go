package ingest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fsname"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// TestLongNameIngests: valid names as long as Kubernetes allows (253
// characters, so "<name>.yaml" exceeds the 255-byte file-name limit) are
// ingested under shortened file names that round-trip: the managed file
// reads back as the same identity, ingesting it again changes nothing, it
// keeps its name when its content changes, and originals and rejected files
// with long names reach .hnp/archive/ and unmanaged/ with their sidecars.
// Their neighbours are ingested in the same run.
func TestLongNameIngests(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("a", 253)
	twin := strings.Repeat("a", 252) + "b" // one prefix, another identity
	ns := strings.Repeat("n", 63)
	nsVPC := strings.Replace(testdocs.VPC(long), "metadata:\n", "metadata:\n  namespace: "+ns+"\n", 1)
	rawLong := strings.Repeat("r", 250) + ".yaml" // 255 bytes, the longest a name can be
	rawBad := strings.Repeat("x", 250) + ".yaml"
	stray := path.Join("legacy", strings.Repeat("d", 200), strings.Repeat("s", 200)+".yaml")
	write(t, filepath.Join(root, "raw", rawLong), []byte(testdocs.VPC(long)+"---\n"+testdocs.VPC(twin)))
	write(t, filepath.Join(root, "raw", rawBad), []byte("kind: [unclosed\n"))
	write(t, filepath.Join(root, "raw", "ns.yaml"), []byte(nsVPC))
	write(t, filepath.Join(root, "raw", "neighbour.yaml"), []byte(testdocs.VPC("neighbour")))
	write(t, filepath.Join(root, filepath.FromSlash(stray)), []byte(testdocs.VPC("stray")))

	rep := run(t, root, Options{})
	if rep.Failed != 0 || rep.Created != 5 || rep.Unmanaged != 1 || len(rep.Conflicts) != 0 {
		t.Fatalf("failed %d, created %d, unmanaged %d, conflicts %v: %s", rep.Failed, rep.Created, rep.Unmanaged, rep.Conflicts, dump(rep.Errors))
	}
	if got := files(t, filepath.Join(root, "raw")); len(got) != 0 {
		t.Fatalf("left in raw/: %v", got)
	}
	checkNameLengths(t, root)

	// Each identity reads back from its managed file with its full name.
	ms, err := ReadManaged(root, registry(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, m := range ms {
		byName[m.ID.Namespace+"/"+m.ID.Name] = m.Path
	}
	for _, want := range []string{"default/" + long, "default/" + twin, ns + "/" + long, "default/neighbour", "default/stray"} {
		if byName[want] == "" {
			t.Errorf("no managed file holds %s; managed: %v", want, byName)
		}
	}
	longPath := byName["default/"+long]
	if !strings.Contains(path.Base(longPath), fsname.Sep) || byName["default/"+twin] == longPath {
		t.Fatalf("long names were not shortened apart: %s, %s", longPath, byName["default/"+twin])
	}

	// The originals are archived, the rejected one is in unmanaged/ with
	// its sidecar beside it.
	archived := files(t, filepath.Join(root, ".hnp", "archive"))
	if len(archived) != 4 {
		t.Fatalf("archive holds %v, want the 4 ingested originals", archived)
	}
	un := files(t, filepath.Join(root, "unmanaged"))
	if len(un) != 2 || un[1] != un[0]+".metadata" || !strings.HasPrefix(un[0], "xxxx") {
		t.Fatalf("unmanaged/ holds %v, want the rejected file and its sidecar", un)
	}
	side, err := os.ReadFile(filepath.Join(root, "unmanaged", un[1]))
	if err != nil || !strings.Contains(string(side), "original: raw/"+rawBad) {
		t.Fatalf("sidecar %s does not name raw/%s: %v\n%s", un[1], rawBad, err, side)
	}

	// Again: nothing changes. The managed files dropped back into raw/
	// change nothing in managed/.
	before := tree(t, root)
	if rep := run(t, root, Options{Now: func() time.Time { return fixedNow().Add(time.Hour) }}); rep.Changed {
		t.Fatalf("second run changed something: %s", dump(rep))
	}
	if d := diffTrees(before, tree(t, root)); d != "" {
		t.Fatalf("second run changed the tree:\n%s", d)
	}
	managedBefore := tree(t, filepath.Join(root, "managed"))
	for i, p := range files(t, filepath.Join(root, "managed")) {
		b, _ := os.ReadFile(filepath.Join(root, "managed", p))
		write(t, filepath.Join(root, "raw", "back-"+string(rune('a'+i))+".yaml"), b)
	}
	rep = run(t, root, Options{})
	if d := diffTrees(managedBefore, tree(t, filepath.Join(root, "managed"))); d != "" {
		t.Fatalf("re-ingesting the managed files changed managed/:\n%s", d)
	}
	if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 5 || rep.Failed != 0 {
		t.Fatalf("re-ingest: created %d updated %d unchanged %d failed %d", rep.Created, rep.Updated, rep.Unchanged, rep.Failed)
	}

	// New content for the long identity replaces its file under the same
	// name; the second original of the same raw name is archived beside
	// the first under a content-hashed name that fits.
	write(t, filepath.Join(root, "raw", rawLong), []byte(strings.Replace(testdocs.VPC(long), "vlan: 1001", "vlan: 1002", 1)))
	rep = run(t, root, Options{})
	if rep.Updated != 1 || rep.Created != 0 || len(rep.Resources) != 1 || rep.Resources[0].ManagedPath != longPath {
		t.Fatalf("update of the long identity: %s", dump(rep.Resources))
	}
	if got := files(t, filepath.Join(root, ".hnp", "archive")); len(got) != len(archived)+6 {
		t.Fatalf("archive after the update holds %d files, want %d", len(got), len(archived)+6)
	}
	checkNameLengths(t, root)
}

// checkNameLengths fails on any file name below root over the limit.
func checkNameLengths(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && len(d.Name()) > fsname.Max {
			t.Errorf("%s: a file name of %d bytes", p, len(d.Name()))
		}
		return nil
	})
}
