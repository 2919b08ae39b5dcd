package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestDaemonMonorepoLongName: two fabrics at two paths of one repository
// served over smart HTTP, one of them given a VPC with a 253-character name
// (so "<name>.yaml" exceeds the file-name limit). The real daemon ingests it
// under a shortened name and pushes it with its neighbour file; the other
// fabric keeps ingesting what is pushed to it; the remote's circuit never
// leaves closed, and no sync fails.
func TestDaemonMonorepoLongName(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	long := strings.Repeat("v", 253)
	remote := gittest.NewRemote(t, dir, "mono.git", "main", map[string]string{
		"fabrics/a/raw/long.yaml": testdocs.VPC(long),
		"fabrics/a/raw/ok.yaml":   testdocs.VPC("vpc-ok"),
		"fabrics/b/raw/b1.yaml":   testdocs.VPC("vpc-b1"),
	})
	srv := gittest.NewHTTPServer(t, dir, "", "")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	var body strings.Builder
	fmt.Fprintf(&body, "listen: 127.0.0.1:%d\nstate_dir: state\nfabrics:\n", port)
	for _, n := range []string{"a", "b"} {
		fmt.Fprintf(&body, "  - name: %s\n    source:\n      git: {url: %q, branch: main, path: fabrics/%s, interval: 1s, push: true}\n", n, srv.URL("mono.git"), n)
	}
	if err := os.WriteFile(cfg, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)

	// The remote's paths, read in one git call (fgd pushes meanwhile).
	files := func() map[string]string {
		out, err := gittest.RunGit(remote.Dir(), "ls-tree", "-r", "--name-only", "refs/heads/main")
		if err != nil {
			return nil
		}
		m := map[string]string{}
		for _, p := range strings.Fields(out) {
			m[p] = p
		}
		return m
	}
	longFile := func() string {
		for p := range files() {
			if strings.HasPrefix(p, "fabrics/a/managed/vpcs/vvvv") {
				if c, err := gittest.RunGit(remote.Dir(), "show", "refs/heads/main:"+p); err == nil && strings.Contains(c, "name: "+long+"\n") {
					return p
				}
			}
		}
		return ""
	}
	closed := func() {
		t.Helper()
		for series, v := range d.Metrics() {
			if strings.HasPrefix(series, "fgd_circuit_state{") && v != 0 {
				t.Fatalf("%s = %v: a circuit left closed", series, v)
			}
		}
	}
	d.WaitFor("fabric a to push the long-named VPC", 2*time.Minute, func() bool { closed(); return longFile() != "" })
	p := longFile()
	if base := filepath.Base(p); len(base) > 255 || !strings.Contains(base, "_") {
		t.Errorf("managed file %s: want a shortened name of at most 255 bytes", p)
	}
	d.WaitFor("the neighbour file and fabric b's first file", 2*time.Minute, func() bool {
		closed()
		f := files()
		return f["fabrics/a/managed/vpcs/vpc-ok.yaml"] != "" && f["fabrics/b/managed/vpcs/vpc-b1.yaml"] != ""
	})

	// Fabric b keeps ingesting after a's long name, as does a.
	remote.Change(t, "more for both", map[string]string{
		"fabrics/b/raw/b2.yaml":                               testdocs.VPC("vpc-b2"),
		"fabrics/a/raw/" + strings.Repeat("r", 250) + ".yaml": testdocs.VPC(strings.Repeat("w", 253)),
	}, nil)
	d.WaitFor("both fabrics to ingest the next push", 2*time.Minute, func() bool {
		closed()
		f := files()
		if f["fabrics/b/managed/vpcs/vpc-b2.yaml"] == "" {
			return false
		}
		for p := range f {
			if strings.HasPrefix(p, "fabrics/a/managed/vpcs/www") {
				return true
			}
		}
		return false
	})
	for p := range files() {
		if strings.Contains(p, "/raw/") && !strings.HasSuffix(p, ".gitkeep") {
			t.Errorf("%s left in raw/", p)
		}
	}
	closed()
	m := d.Metrics()
	for _, n := range []string{"a", "b"} {
		if v := m[fmt.Sprintf(`fgd_syncs_total{fabric=%q,result="failure"}`, n)]; v != 0 {
			t.Errorf("fabric %s: %v failed syncs", n, v)
		}
	}
	if strings.Contains(d.Log(), "file name too long") {
		t.Error("the daemon logged a file name too long")
	}
}

// TestIngestLongName: `fgd ingest` exits 0 on a VPC with a 253-character
// name, and ingests its neighbour file in the same run.
func TestIngestLongName(t *testing.T) {
	bin := daemontest.Build(t)
	dir := t.TempDir()
	gittest.WriteFiles(t, dir, map[string]string{
		"raw/" + strings.Repeat("r", 250) + ".yaml": testdocs.VPC(strings.Repeat("v", 253)),
		"raw/neighbour.yaml":                        testdocs.VPC("neighbour"),
	})
	if code, out, errOut := runFGD(t, bin, "ingest", dir); code != 0 {
		t.Fatalf("fgd ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "managed/vpcs/neighbour.yaml")); err != nil {
		t.Fatalf("the neighbour was not ingested: %v", err)
	}
	es, _ := os.ReadDir(filepath.Join(dir, "raw"))
	for _, e := range es {
		if e.Name() != ".gitkeep" {
			t.Errorf("raw/%s left", e.Name())
		}
	}
}
