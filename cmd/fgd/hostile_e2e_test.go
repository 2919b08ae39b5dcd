package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// hostileWait bounds each wait of the hostile-input tests: long enough for
// a loaded machine, only there to catch a hang.
const hostileWait = 3 * time.Minute

// hostileMarker is the content of the secret the hostile links point to;
// it must appear nowhere fgd writes or answers.
const hostileMarker = "SECRET-MARKER-5e0c91"

// clusterAdminBinding is a Kubernetes object that must never reach a sink.
const clusterAdminBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: evil
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
`

// TestDaemonNeverFollowsSymlinksInAnFGD runs the daemon on a git fabric
// whose repository holds symlinks where fgd keeps its own files (.hnp/
// .gitignore and manifest to a secret, the archive log to /dev/zero), a
// sidecar and a managed file linked to the secret, and a ClusterRoleBinding
// in managed/, beside a dir fabric. No byte of the secret reaches a commit,
// the API, the log or the published tree; the daemon keeps serving the dir
// fabric throughout.
func TestDaemonNeverFollowsSymlinksInAnFGD(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	secret := gittest.WriteSecret(t, dir, "api-token", hostileMarker+"\n")
	remote := gittest.NewRemote(t, dir, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	hostileCommit(t, remote, secret)

	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: hostile
    source:
      git: {url: %q, branch: main, path: fgd, interval: 1h, push: true}
    sinks:
      - directory: {path: published}
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
`, port, remote.FileURL())
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	lab := filepath.Join(dir, "lab")
	first := dropVPC(t, lab, "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("the dir fabric's first sync", hostileWait, func() bool { return exists(first) })
	d.WaitFor("fgd's commit of the hostile fabric", hostileWait, func() bool {
		return strings.Contains(remote.Log(t)[0], "|fgd|")
	})
	d.WaitFor("the hostile fabric's published tree", hostileWait, func() bool {
		return exists(filepath.Join(dir, "published", "current"))
	})
	// The dir fabric still syncs after the hostile one.
	second := dropVPC(t, lab, "vpc-2")
	d.WaitFor("a dir fabric sync after the hostile one", hostileWait, func() bool { return exists(second) })
	if d.Exited() {
		t.Fatal("the daemon exited")
	}

	// The links were moved to unmanaged/ as links; fgd wrote its own files.
	tree := gittest.Git(t, remote.Dir(), "ls-tree", "-r", "refs/heads/main", "fgd/")
	unmanaged := func(rel string) string { return "fgd/unmanaged/" + fgd.SourceName(rel) }
	for path, mode := range map[string]string{
		"fgd/.hnp/.gitignore": "100644", "fgd/.hnp/manifest.yaml": "100644", "fgd/managed/vpcs/vpc-a.yaml": "100644",
		unmanaged(".hnp/.gitignore"): "120000", unmanaged(".hnp/manifest.yaml"): "120000",
		unmanaged(".hnp/archive-log.yaml"): "120000", unmanaged("managed/vpcs/x.yaml"): "120000",
		unmanaged("managed/vpcs/evil.yaml"): "100644",
	} {
		if !regexp.MustCompile(`(?m)^` + mode + ` blob \S+\t` + regexp.QuoteMeta(path) + `$`).MatchString(tree) {
			t.Errorf("the remote's tree has no %s with mode %s:\n%s", path, mode, tree)
		}
	}
	if strings.Contains(tree, "fgd/managed/vpcs/evil.yaml") {
		t.Error("the ClusterRoleBinding is still in managed/ on the remote")
	}

	// No byte of the secret anywhere: every object of the remote, every
	// file of the published trees, the API, the log.
	objects := gittest.Git(t, remote.Dir(), "cat-file", "--batch-all-objects", "--batch")
	if strings.Contains(objects, hostileMarker) {
		t.Error("the secret is in an object of the remote")
	}
	if patch := gittest.Git(t, remote.Dir(), "log", "-p", "--all"); strings.Contains(patch, hostileMarker) {
		t.Error("the secret is in the remote's history")
	}
	published := readAll(t, filepath.Join(dir, "published"))
	if strings.Contains(published, hostileMarker) || strings.Contains(published, "ClusterRoleBinding") {
		t.Errorf("the published tree holds the secret or the ClusterRoleBinding:\n%s", published)
	}
	if !strings.Contains(published, "name: vpc-a") {
		t.Errorf("the published tree lacks vpc-a:\n%s", published)
	}
	for _, p := range []string{"/api/v1/fabrics", "/api/v1/fabrics/hostile", "/api/v1/fabrics/hostile/resources", "/metrics", "/"} {
		code, b := d.Get(p)
		if code != 200 || strings.Contains(b, hostileMarker) {
			t.Errorf("GET %s: %d, holds the secret: %v", p, code, strings.Contains(b, hostileMarker))
		}
	}
	// The linked sidecar is listed with why it was not read.
	if _, b := d.Get("/api/v1/fabrics/hostile"); !strings.Contains(b, "unmanaged/x.yaml") || !strings.Contains(b, "which fgd never follows") {
		t.Errorf("the API does not say the sidecar of unmanaged/x.yaml is a link it did not read:\n%s", b)
	}
	if strings.Contains(d.Log(), hostileMarker) {
		t.Error("the secret is in the daemon's log")
	}
}

// hostileCommit pushes, as someone else, the links and the foreign object
// into the remote's FGD at fgd/.
func hostileCommit(t *testing.T, remote *gittest.Remote, secret string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, remote.Root, "clone", "--quiet", "--branch", remote.Branch, remote.Dir(), work)
	links := map[string]string{
		"fgd/.hnp/.gitignore":           secret,
		"fgd/.hnp/manifest.yaml":        secret,
		"fgd/.hnp/archive-log.yaml":     "/dev/zero",
		"fgd/unmanaged/x.yaml.metadata": secret,
		"fgd/managed/vpcs/x.yaml":       secret,
	}
	for rel, target := range links {
		p := filepath.Join(work, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	gittest.WriteFiles(t, work, map[string]string{
		"fgd/unmanaged/x.yaml":       "left by hand\n",
		"fgd/managed/vpcs/evil.yaml": clusterAdminBinding,
	})
	gittest.Git(t, work, "add", "--all")
	gittest.Git(t, work, "commit", "--quiet", "-m", "hostile")
	gittest.Git(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/"+remote.Branch)
}

// TestDaemonManagedIsValidatedNotTrusted puts a ClusterRoleBinding, a VPC
// the schema rejects and a VPC under another name straight into managed/ of
// a dir fabric with a directory and an exec sink: neither sink receives any
// of them, and each ends in unmanaged/ with its reason.
func TestDaemonManagedIsValidatedNotTrusted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	lab := filepath.Join(dir, "lab")
	received := filepath.Join(dir, "received")
	hostile := map[string]string{
		"managed/vpcs/evil.yaml":     clusterAdminBinding,
		"managed/vpcs/bad.yaml":      strings.Replace(fmt.Sprintf(e2eVPC, "bad"), "spec:\n", "spec:\n  bogus: 1\n", 1),
		"managed/vpcs/misnamed.yaml": fmt.Sprintf(e2eVPC, "other"),
	}
	gittest.WriteFiles(t, lab, hostile)
	good := dropVPC(t, lab, "good")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - directory: {path: published}
      - exec: {command: [sh, -c, %q], timeout: 60s}
`, port, "cat >> "+received)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("the exec sink to receive the good VPC", hostileWait, func() bool {
		b, _ := os.ReadFile(received)
		return exists(good) && strings.Contains(string(b), "name: good")
	})
	d.WaitFor("the published tree", hostileWait, func() bool { return exists(filepath.Join(dir, "published", "current")) })

	sent, _ := os.ReadFile(received)
	published := readAll(t, filepath.Join(dir, "published"))
	for _, bad := range []string{"ClusterRoleBinding", "bogus", "name: other", "name: bad"} {
		if strings.Contains(string(sent), bad) {
			t.Errorf("the exec sink received %q:\n%s", bad, sent)
		}
		if strings.Contains(published, bad) {
			t.Errorf("the directory sink published %q:\n%s", bad, published)
		}
	}
	for rel, why := range map[string]string{
		"managed/vpcs/evil.yaml":     "not-fabric-kind",
		"managed/vpcs/bad.yaml":      "unknown-field",
		"managed/vpcs/misnamed.yaml": "not-managed",
	} {
		if exists(filepath.Join(lab, rel)) {
			t.Errorf("%s is still in managed/", rel)
		}
		side, err := os.ReadFile(filepath.Join(lab, "unmanaged", fgd.SourceName(rel)+fgd.SidecarSuffix))
		if err != nil || !strings.Contains(string(side), "code: "+why) {
			t.Errorf("%s: sidecar %s (%v), want the reason %s", rel, side, err, why)
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// readAll concatenates every regular file below root, never following a
// symlink, each after its path.
func readAll(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		fmt.Fprintf(&b, "== %s\n%s\n", p, data)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return b.String()
}
