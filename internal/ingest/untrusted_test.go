package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// clusterAdmin is a Kubernetes object that must never reach a sink.
const clusterAdmin = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: evil
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
`

// TestManagedIsValidatedNotTrusted puts into managed/ what was never
// ingested: another API's object, a VPC the schema rejects, a valid VPC
// under another name, two resources in one file, a symlink to a secret.
// Each leaves managed/ for unmanaged/ with its reason in the sidecar, the
// desired set holds only the resource fgd wrote, and an unchanged tree
// is not parsed again.
func TestManagedIsValidatedNotTrusted(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "token")
	write(t, secret, []byte("SECRET-MARKER-c41d\n"))
	write(t, filepath.Join(root, "raw", "good.yaml"), []byte(testdocs.VPC("good")))
	cache := NewManagedCache()
	reg := registry(t)
	if rep := run(t, root, Options{ManagedCache: cache}); rep.Created != 1 {
		t.Fatalf("first run created %d resources, want 1: %+v", rep.Created, rep.Errors)
	}

	hostile := map[string]string{
		"managed/vpcs/evil.yaml":      clusterAdmin,
		"managed/vpcs/bad.yaml":       strings.Replace(testdocs.VPC("bad"), "spec:\n", "spec:\n  bogus: 1\n", 1),
		"managed/vpcs/misnamed.yaml":  testdocs.VPC("other"),
		"managed/vpcs/two.yaml":       testdocs.VPC("two") + "---\n" + testdocs.VPC("three"),
		"managed/switches/vpc-1.yaml": testdocs.VPC("vpc-1"),
	}
	for rel, content := range hostile {
		write(t, filepath.Join(root, rel), []byte(content))
	}
	if err := os.Symlink(secret, filepath.Join(root, "managed/vpcs/link.yaml")); err != nil {
		t.Fatal(err)
	}
	// Before ingestion moves them, the desired set refuses them anyway.
	if _, err := ReadManaged(root, reg, NewManagedCache()); err == nil {
		t.Fatal("ReadManaged took a managed/ tree holding a ClusterRoleBinding")
	}

	rep := run(t, root, Options{ManagedCache: cache})
	if !rep.Changed || rep.Unmanaged != len(hostile)+1 {
		t.Fatalf("run: changed %v, unmanaged %d, want %d; files %+v", rep.Changed, rep.Unmanaged, len(hostile)+1, rep.Files)
	}
	wantCode := map[string]string{
		"managed/vpcs/evil.yaml":      resource.CodeNotFabricKind,
		"managed/vpcs/bad.yaml":       resource.CodeUnknownField,
		"managed/vpcs/misnamed.yaml":  CodeNotManaged,
		"managed/vpcs/two.yaml":       CodeNotManaged,
		"managed/switches/vpc-1.yaml": CodeNotManaged,
		"managed/vpcs/link.yaml":      CodeSymlink,
	}
	for rel, code := range wantCode {
		if _, err := os.Lstat(filepath.Join(root, rel)); !os.IsNotExist(err) {
			t.Errorf("%s is still in managed/ (%v)", rel, err)
		}
		stored := filepath.Join(root, fgd.UnmanagedDir, fgd.SourceName(rel))
		side := readSidecar(t, stored+fgd.SidecarSuffix)
		if side.Original != rel || !slices.ContainsFunc(side.Reasons, func(r fgd.Reason) bool { return r.Code == code }) {
			t.Errorf("%s: sidecar %+v, want a reason with code %s", rel, side, code)
		}
	}
	if fi, err := os.Lstat(filepath.Join(root, fgd.UnmanagedDir, fgd.SourceName("managed/vpcs/link.yaml"))); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was not moved as a link: %v", err)
	}

	set, err := ReadManaged(root, reg, cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 1 || set[0].Path != "managed/vpcs/good.yaml" || set[0].ID.Kind != "VPC" {
		t.Fatalf("desired set %+v, want only managed/vpcs/good.yaml", set)
	}

	parsed := cache.Parsed()
	again := run(t, root, Options{ManagedCache: cache})
	if _, err := ReadManaged(root, reg, cache); err != nil {
		t.Fatal(err)
	}
	if again.Changed || cache.Parsed() != parsed {
		t.Fatalf("an unchanged managed/ was parsed again: changed %v, parsed %d → %d", again.Changed, parsed, cache.Parsed())
	}
	// An edit is seen: the file is validated again (and is valid).
	good := filepath.Join(root, "managed/vpcs/good.yaml")
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write(t, good, []byte(strings.Replace(string(body), "10.0.1.0/24", "10.0.2.0/24", 1)))
	if rep := run(t, root, Options{ManagedCache: cache}); rep.Unmanaged != 0 || cache.Parsed() != parsed+1 {
		t.Fatalf("after an edit: unmanaged %d, parsed %d, want 0 and %d", rep.Unmanaged, cache.Parsed(), parsed+1)
	}
}

func readSidecar(t *testing.T, file string) fgd.Sidecar {
	t.Helper()
	var side fgd.Sidecar
	b, err := os.ReadFile(file)
	if err != nil {
		t.Errorf("no sidecar: %v", err)
		return side
	}
	if err := yaml.Unmarshal(b, &side); err != nil {
		t.Errorf("sidecar %s: %v", file, err)
	}
	return side
}
