package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// gitRig is the real daemon following one 5,000-resource git fabric over
// loopback smart HTTP (git http-backend), publishing it with a directory
// sink, and a git CLI clone of the same repository that pushes changes the
// way a user would.
type gitRig struct {
	d      *daemontest.Daemon
	remote *gittest.Remote
	root   string // the HTTP server's project root, holding remote
	url    string // the repository's http:// URL
	out    string // the directory sink's path
	pusher string // the user's clone
	secret string // the webhook secret
}

// hookSecret is the rigs' GitHub webhook secret.
const hookSecret = "hook-s3cret"

// startGitRig starts the daemon on a fresh clone of a new 5,000-resource
// remote, polling it every interval, and waits for the startup sync to
// have published every resource.
func startGitRig(b *testing.B, bin, interval string) *gitRig {
	b.Helper()
	root, dir := b.TempDir(), b.TempDir()
	r := &gitRig{remote: newFabric5000Remote(b, bin, root, "fabric.git"), root: root, out: filepath.Join(dir, "published")}
	r.url = gittest.NewHTTPServer(b, root, "", "").URL("fabric.git")
	r.secret = gittest.WriteSecret(b, dir, "hook-secret", hookSecret)
	cfg, port := daemontest.Config(b, dir, fmt.Sprintf("fabrics:\n  - name: %s\n    source:\n"+
		"      git: {url: %q, branch: main, path: %s, interval: %s, webhook_secret_file: %s}\n"+
		"    sinks:\n      - directory: {path: %s}\n", fabric5000Name, r.url, fabric5000Path, interval, r.secret, r.out))
	r.d = daemontest.Start(b, bin, dir, cfg, port)
	r.d.WaitFor("the startup sync to publish 5,000 resources", 10*time.Minute, func() bool {
		return r.published("vpcs", "vpc-2499") && r.published("vlannamespaces", "vlanns-2499") && r.d.Metric("fgd_active_syncs") == 0
	})
	r.pusher = filepath.Join(b.TempDir(), "pusher")
	gittest.Git(b, root, "clone", "--quiet", r.url, r.pusher)
	return r
}

// published reports whether the sink's current tree holds kinddir/name.yaml.
func (r *gitRig) published(kinddir, name string) bool {
	_, err := os.Stat(filepath.Join(r.out, "current", kinddir, name+".yaml"))
	return err == nil
}

// checkPublished fails the benchmark unless the published VPC name is the
// managed form of what was pushed.
func (r *gitRig) checkPublished(b *testing.B, name string) {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(r.out, "current", "vpcs", name+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for _, want := range []string{"name: " + name + "\n", "hnp.githedgehog.com/managed-by: fgd", "hnp.githedgehog.com/fabric: " + fabric5000Name} {
		if !strings.Contains(string(data), want) {
			b.Fatalf("published %s.yaml lacks %q:\n%s", name, want, data)
		}
	}
}

// waitIdle waits until no sync runs, so the next change is measured on its
// own, not queued behind the last one.
func (r *gitRig) waitIdle(b *testing.B) {
	b.Helper()
	benchPoll(b, 5*time.Minute, 5*time.Millisecond, "the fabric to be idle", func() bool { return r.d.Metric("fgd_active_syncs") == 0 })
}

// commitRaw prepares, in the user's clone brought up to the remote's head
// (fgd's own commits included), a commit adding the VPC name to raw/. It
// returns the files it wrote (repository path → content).
func (r *gitRig) commitRaw(b *testing.B, name string, i int) map[string]string {
	b.Helper()
	gittest.Git(b, r.pusher, "fetch", "--quiet", "origin", "main")
	gittest.Git(b, r.pusher, "reset", "--quiet", "--hard", "FETCH_HEAD")
	files := map[string]string{fabric5000Path + "/raw/" + name + ".yaml": benchVPC(name, i)}
	gittest.WriteFiles(b, r.pusher, files)
	gittest.Git(b, r.pusher, "add", "-A")
	gittest.Git(b, r.pusher, "commit", "--quiet", "-m", "add "+name)
	return files
}

// push pushes the user's commit to main, and to refs/bench/floor where the
// floor's fetch finds exactly that commit (fgd follows main only).
func (r *gitRig) push(b *testing.B) {
	b.Helper()
	gittest.Git(b, r.pusher, "push", "--quiet", "origin", "HEAD:refs/heads/main", "+HEAD:refs/bench/floor")
}

// signedGitHubPush posts a GitHub push webhook for cloneURL's main branch,
// signed with secret, to the daemon at base, and fails unless it is
// accepted.
func signedGitHubPush(b *testing.B, base, secret, cloneURL string) {
	b.Helper()
	payload := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"clone_url":%q}}`, cloneURL))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(payload)
	req, err := http.NewRequest(http.MethodPost, base+"/hooks/github", bytes.NewReader(payload))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatalf("webhook: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Fatalf("webhook: %s, want 202 Accepted", resp.Status)
	}
}

// treeInodes returns the inode of every regular file of the sink's current
// tree, by path below it.
func treeInodes(b *testing.B, out string) map[string]uint64 {
	b.Helper()
	root, err := filepath.EvalSymlinks(filepath.Join(out, "current"))
	if err != nil {
		b.Fatal(err)
	}
	inodes := map[string]uint64{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no inode number", p)
		}
		inodes[p[len(root):]] = st.Ino
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return inodes
}

// writtenAndLinked compares the current tree with the inodes of the one
// before it: a file whose inode the old tree had was hard-linked, any
// other was written.
func writtenAndLinked(before, after map[string]uint64) (written, linked int) {
	old := make(map[uint64]bool, len(before))
	for _, ino := range before {
		old[ino] = true
	}
	for _, ino := range after {
		if old[ino] {
			linked++
		} else {
			written++
		}
	}
	return written, linked
}

// floorFetchCheckout is the git CLI floor of one change, what git-sync
// does for it: fetch the pushed commit into clone and check it out into a
// new worktree. It returns the time both took; the worktree is removed
// afterwards, untimed.
func floorFetchCheckout(b *testing.B, clone string, i int) time.Duration {
	b.Helper()
	wt := filepath.Join(filepath.Dir(clone), fmt.Sprintf("floor-wt-%d", i))
	start := time.Now()
	gittest.Git(b, clone, "fetch", "--quiet", "origin", "refs/bench/floor")
	gittest.Git(b, clone, "worktree", "add", "--quiet", "--detach", wt, "FETCH_HEAD")
	took := time.Since(start)
	gittest.Git(b, clone, "worktree", "remove", "--force", wt)
	return took
}
