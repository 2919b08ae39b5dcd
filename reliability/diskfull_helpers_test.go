package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// diskGateway and vpcDoc are the documents the disk-full test drops; %s
// is the name. A Gateway is no fabric kind: its file goes whole to
// unmanaged/ with a sidecar.
const (
	diskGateway = `apiVersion: gateway.githedgehog.com/v1alpha1
kind: Gateway
metadata:
  name: %s
spec: {}
`
	// diskPage is the unit in which tmpfs hands out space.
	diskPage = 4096
	// diskMountEnv forces how the small filesystem is made: "mount" or
	// "unshare" (by default mount, then unshare when mount is refused).
	diskMountEnv = "FGD_RELIABILITY_DISK_MOUNT"
)

// diskInput is one file dropped into an FGD's raw/ and where it must end up.
type diskInput struct {
	name string // its name in raw/
	body []byte
	// managed is its managed file below managed/ ("vpcs/x.yaml"), or ""
	// when the file must go whole to unmanaged/.
	managed string
}

func diskNewVPC(name string) diskInput {
	return diskInput{name: name + ".yaml", body: fmt.Appendf(nil, vpcDoc, name), managed: "vpcs/" + name + ".yaml"}
}

func diskNewGateway(name string) diskInput {
	return diskInput{name: name + ".yaml", body: fmt.Appendf(nil, diskGateway, name)}
}

// diskSmallFS is the small filesystem a test fills. Dir is its path as the
// daemon sees it; the test reaches it below prefix, which is empty, or
// /proc/PID/root when the daemon runs in a mount namespace of its own.
type diskSmallFS struct {
	Dir    string
	prefix string
	how    string // "mount" or "unshare"
}

// path is a path on the small filesystem as the test reaches it.
func (s *diskSmallFS) path(rel ...string) string {
	return s.prefix + filepath.Join(append([]string{s.Dir}, rel...)...)
}

// diskMakeSmallFS makes a tmpfs of sizeKiB at dir with mount(8), or, where
// mounting is refused, returns a wrapper of bin that runs the daemon in new
// user and mount namespaces (unshare -Urm) with the tmpfs mounted at dir
// there, and mkdirs the given folders on it first. It skips the test, saying
// why, when neither is possible.
func diskMakeSmallFS(t *testing.T, dir string, sizeKiB int, bin string, mkdirs ...string) (*diskSmallFS, string) {
	t.Helper()
	force := os.Getenv(diskMountEnv)
	var mountErr string
	if force != "unshare" {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dk,mode=0755", sizeKiB), "fgd-full", dir).CombinedOutput()
		if err == nil {
			t.Cleanup(func() {
				if exec.Command("umount", dir).Run() != nil {
					_ = exec.Command("umount", "-l", dir).Run()
				}
			})
			return &diskSmallFS{Dir: dir, how: "mount"}, bin
		}
		mountErr = fmt.Sprintf("mount -t tmpfs: %v (%s)", err, bytes.TrimSpace(out))
		if force == "mount" {
			t.Fatalf("%s=mount: %s", diskMountEnv, mountErr)
		}
	}
	probe := t.TempDir()
	if out, err := exec.Command("unshare", "-Urm", "sh", "-c", `mount -t tmpfs -o size=64k fgd-probe "$0"`, probe).CombinedOutput(); err != nil {
		t.Skipf("no small filesystem to fill here: %s; unshare -Urm + mount: %v (%s). Run as root, or where user namespaces are allowed "+
			"(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0); internal/fgd's TestBatchOutOfSpace covers the write layer anyway",
			mountErr, err, bytes.TrimSpace(out))
	}
	mk := ""
	for _, m := range mkdirs {
		mk += fmt.Sprintf(` && mkdir -p "$1"/'%s'`, m)
	}
	script := fmt.Sprintf(`#!/bin/sh
# fgd in new user and mount namespaces, on a small tmpfs at the test's mount point.
exec unshare -Urm /bin/sh -c 'mount -t tmpfs -o size=%dk,mode=0755 fgd-full "$1"%s && bin="$0" && shift && exec "$bin" "$@"' '%s' '%s' "$@"
`, sizeKiB, strings.ReplaceAll(mk, "'", `'"'"'`), bin, dir)
	wrapper := filepath.Join(t.TempDir(), "fgd-in-namespace")
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	why := mountErr
	if force == "unshare" {
		why = diskMountEnv + "=unshare"
	}
	t.Logf("%s: the daemon runs under unshare -Urm with its own tmpfs", why)
	return &diskSmallFS{Dir: dir, how: "unshare"}, wrapper
}

// attach makes the small filesystem reachable once the daemon runs, and
// checks it is a tmpfs.
func (s *diskSmallFS) attach(t *testing.T, d *daemontest.Daemon) {
	t.Helper()
	if s.how == "unshare" {
		s.prefix = fmt.Sprintf("/proc/%d/root", d.PID())
	}
	d.WaitFor("the small filesystem", 10*time.Second, func() bool {
		var st unix.Statfs_t
		return unix.Statfs(s.path(), &st) == nil && st.Type == unix.TMPFS_MAGIC
	})
}

// diskExpectManaged is what an undisturbed ingestion of inputs writes to
// managed/ for fabric: relative path below managed/ → bytes.
func diskExpectManaged(t *testing.T, reg *resource.Registry, fabric string, inputs []diskInput) map[string][]byte {
	t.Helper()
	root := filepath.Join(t.TempDir(), fabric)
	for _, in := range inputs {
		p := filepath.Join(root, fgd.RawDir, in.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, in.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ingest.Run(context.Background(), root, reg, ingest.Options{Fabric: fabric}); err != nil {
		t.Fatal(err)
	}
	want, err := diskManagedFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// diskFabric reads GET /api/v1/fabrics/{name}.
func diskFabric(d *daemontest.Daemon, name string) (httpapi.FabricView, error) {
	var v httpapi.FabricView
	code, body := d.Get("/api/v1/fabrics/" + name)
	if code != http.StatusOK {
		return v, fmt.Errorf("GET /api/v1/fabrics/%s: %d %s", name, code, body)
	}
	return v, json.Unmarshal([]byte(body), &v)
}

// diskSync reads GET /api/v1/syncs/{id}.
func diskSync(d *daemontest.Daemon, id string) (httpapi.SyncView, error) {
	var v httpapi.SyncView
	code, body := d.Get("/api/v1/syncs/" + id)
	if code != http.StatusOK {
		return v, fmt.Errorf("GET /api/v1/syncs/%s: %d %s", id, code, body)
	}
	return v, json.Unmarshal([]byte(body), &v)
}

// diskPostSync asks for a sync of fabric with the operator token; a sync
// already running (409) is no error: the fabric syncs after it anyway.
func diskPostSync(d *daemontest.Daemon, token, fabric string) error {
	req, err := http.NewRequest(http.MethodPost, d.Base+"/api/v1/fabrics/"+fabric+"/sync", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusConflict {
		return fmt.Errorf("POST sync %s: %d %s", fabric, resp.StatusCode, b)
	}
	return nil
}

// diskLogLine is one "sync failed" line of the daemon's JSON log.
type diskLogLine struct {
	Msg         string `json:"msg"`
	Fabric      string `json:"fabric"`
	Err         string `json:"err"`
	Remediation string `json:"remediation"`
}

// diskFailedSyncs returns the "sync failed" lines of fabric in a JSON log.
func diskFailedSyncs(logText, fabric string) []diskLogLine {
	var out []diskLogLine
	for _, l := range strings.Split(logText, "\n") {
		var ll diskLogLine
		if json.Unmarshal([]byte(l), &ll) == nil && ll.Msg == "sync failed" && ll.Fabric == fabric {
			out = append(out, ll)
		}
	}
	return out
}

// diskCopyTree copies the regular files and folders below src to dst.
func diskCopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case e.IsDir():
			return os.MkdirAll(to, 0o755)
		case !e.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
}

// diskKeepLog, when the test failed, saves the daemon's whole log for the
// replay and prints its last lines other than the HTTP requests the test's
// polling makes (daemontest prints the plain tail, mostly those).
func diskKeepLog(t *testing.T, logText string, seed int64) {
	if !t.Failed() {
		return
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("fgd-diskfull-%d.log", seed))
	if err := os.WriteFile(path, []byte(logText), 0o644); err == nil {
		t.Logf("the daemon's whole log: %s", path)
	}
	var lines []string
	for _, l := range strings.Split(logText, "\n") {
		if !strings.Contains(l, `"msg":"http request"`) {
			lines = append(lines, l)
		}
	}
	t.Logf("daemon log without HTTP requests, last lines:\n%s", strings.Join(lines[max(0, len(lines)-120):], "\n"))
}

// diskSettled runs check twice, a moment apart, and keeps the problems seen
// both times: a temp file of a write under way, or a tree being replaced,
// is no problem if it is gone the next moment.
func diskSettled(check func() []string) []string {
	first := check()
	if len(first) == 0 {
		return nil
	}
	t := time.NewTimer(500 * time.Millisecond)
	<-t.C
	seen := map[string]bool{}
	for _, p := range first {
		seen[p] = true
	}
	var out []string
	for _, p := range check() {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out
}
