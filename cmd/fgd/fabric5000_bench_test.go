package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The 5,000-resource fabric of the end-to-end benchmarks: 2,500 VPCs and
// 2,500 VLANNamespaces in 100 raw files of 50 documents, already ingested
// by `fgd ingest` (5,000 managed files, 100 archived originals, the
// archive log, the manifest and the .gitkeep files: 5,118 files), below
// fabric5000Path of its repository.
const (
	fabric5000Name  = "dc1"
	fabric5000Path  = "fgd"
	fabric5000Files = 50 // raw files per kind
	fabric5000Docs  = 50 // documents per raw file
)

// fabric5000Cache holds the fabric's files (repository path → content),
// generated once per benchmark process: an ingestion of 5,000 resources
// takes seconds, a repository seeded from memory a fraction of one.
var fabric5000Cache struct {
	once  sync.Once
	files map[string]string
	err   error
}

// fabric5000 returns the ingested 5,000-resource fabric as repository
// files, generating it with the fgd binary bin on the first call.
func fabric5000(tb testing.TB, bin string) map[string]string {
	tb.Helper()
	fabric5000Cache.once.Do(func() {
		fabric5000Cache.files, fabric5000Cache.err = generateFabric5000(bin)
	})
	if fabric5000Cache.err != nil {
		tb.Fatalf("generate the 5,000-resource fabric: %v", fabric5000Cache.err)
	}
	return fabric5000Cache.files
}

func generateFabric5000(bin string) (map[string]string, error) {
	dir, err := os.MkdirTemp("", "fgd-fabric5000-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
		return nil, err
	}
	for f := range fabric5000Files {
		var vpcs, nss strings.Builder
		for j := range fabric5000Docs {
			i := f*fabric5000Docs + j
			fmt.Fprintf(&vpcs, "---\n%s", benchVPC(fmt.Sprintf("vpc-%04d", i), i))
			fmt.Fprintf(&nss, "---\napiVersion: wiring.githedgehog.com/v1beta1\nkind: VLANNamespace\nmetadata:\n  name: vlanns-%04d\n"+
				"spec:\n  ranges:\n  - from: %d\n    to: %d\n", i, 1000+i%1000, 2000+i%1000)
		}
		for name, body := range map[string]string{fmt.Sprintf("vpcs-%02d.yaml", f): vpcs.String(), fmt.Sprintf("vlannamespaces-%02d.yaml", f): nss.String()} {
			if err := os.WriteFile(filepath.Join(dir, "raw", name), []byte(body), 0o644); err != nil {
				return nil, err
			}
		}
	}
	if out, err := exec.Command(bin, "ingest", dir, "--fabric", fabric5000Name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("fgd ingest: %v: %s", err, lastLine(string(out)))
	}
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		// The ingestion's lock file is in .hnp/.gitignore: never committed.
		if rel == filepath.Join(".hnp", "lock") {
			return nil
		}
		data, err := os.ReadFile(p)
		files[fabric5000Path+"/"+filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	if got := countManaged(files); got != 2*fabric5000Files*fabric5000Docs {
		return nil, fmt.Errorf("fgd ingest wrote %d managed files, want %d", got, 2*fabric5000Files*fabric5000Docs)
	}
	return files, nil
}

// benchVPC is a valid VPC document whose subnet and VLAN follow i.
func benchVPC(name string, i int) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: %s\nspec:\n  subnets:\n    default:\n"+
		"      subnet: 10.%d.%d.0/24\n      vlan: %d\n", name, i/256%256, i%256, 1000+i%2000)
}

// countManaged counts the resource files below managed/ (not .gitkeep).
func countManaged(files map[string]string) int {
	n := 0
	for p := range files {
		if strings.HasPrefix(p, fabric5000Path+"/managed/") && strings.HasSuffix(p, ".yaml") {
			n++
		}
	}
	return n
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// fabricBytes is the total size of files.
func fabricBytes(files map[string]string) int {
	n := 0
	for _, c := range files {
		n += len(c)
	}
	return n
}

// newFabric5000Remote seeds the bare repository root/name with the
// 5,000-resource fabric.
func newFabric5000Remote(tb testing.TB, bin, root, name string) *gittest.Remote {
	tb.Helper()
	return gittest.NewRemote(tb, root, name, "main", fabric5000(tb, bin))
}
