package git_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// largeFGD is an FGD at dc1/ with n managed resources: n/2 VPCs and n/2
// VLANNamespaces, one normalized file each, as ingestion writes them.
func largeFGD(n int) map[string]string {
	files := map[string]string{}
	for i := range n / 2 {
		files[fmt.Sprintf("dc1/managed/vpcs/vpc-%05d.yaml", i)] = managedVPC(i, 0)
		files[fmt.Sprintf("dc1/managed/vlannamespaces/vlans-%05d.yaml", i)] = fmt.Sprintf(
			"apiVersion: wiring.githedgehog.com/v1beta1\nkind: VLANNamespace\nmetadata:\n  name: vlans-%05d\n  annotations:\n"+
				"    hnp.githedgehog.com/fabric: dc1\n    hnp.githedgehog.com/managed-by: fgd\n"+
				"spec:\n  ranges:\n  - from: %d\n    to: %d\n", i, 1000+i, 1000+i+9)
	}
	return files
}

// managedVPC is the managed file of VPC i; rev changes its subnet's VLAN.
func managedVPC(i, rev int) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-%05d\n  annotations:\n"+
		"    hnp.githedgehog.com/fabric: dc1\n    hnp.githedgehog.com/managed-by: fgd\n"+
		"spec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      vlan: %d\n", i, i/256, i%256, 1000+i+rev)
}

// oneChange is a pair of shallow clones of one remote over smart HTTP, fgd's
// and the git CLI's, made the same way, that fetch one-file changes.
type oneChange struct {
	tb     testing.TB
	remote *gittest.Remote
	srv    *gittest.HTTPServer
	repo   *git.Repo
	cli    string
	n      int // changes pushed so far
}

func newOneChange(tb testing.TB, files int) *oneChange {
	tb.Helper()
	root := tb.TempDir()
	c := &oneChange{tb: tb, remote: gittest.NewRemote(tb, root, "big.git", branch, largeFGD(files))}
	c.srv = gittest.NewHTTPServer(tb, root, "", "")
	url := c.srv.URL("big.git")
	dir := tb.TempDir()
	c.cli = filepath.Join(dir, "cli")
	gittest.Git(tb, dir, "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, url, c.cli)
	r, err := git.Open(git.Options{URL: url, Branch: branch, Dir: filepath.Join(dir, "fgd")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	c.repo = r
	c.update()
	return c
}

func (c *oneChange) update() {
	c.tb.Helper()
	err := c.repo.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
		_, err := w.Update(ctx)
		return err
	})
	if err != nil {
		c.tb.Fatal(err)
	}
}

// next pushes a change of one file, then has fgd and the git CLI fetch it;
// it returns the bytes of the server's upload-pack answers to each.
func (c *oneChange) next() (fgdBytes, gitBytes int64) {
	c.tb.Helper()
	c.n++
	c.remote.Change(c.tb, fmt.Sprintf("change %d", c.n), map[string]string{"dc1/managed/vpcs/vpc-00042.yaml": managedVPC(42, c.n)}, nil)
	_, before := c.srv.Sent()
	c.update()
	_, mid := c.srv.Sent()
	gittest.Git(c.tb, c.cli, "fetch", "--quiet", "origin")
	_, after := c.srv.Sent()
	if got, want := readFileTB(c.tb, filepath.Join(c.repo.Dir(), "dc1", "managed", "vpcs", "vpc-00042.yaml")), managedVPC(42, c.n); got != want {
		c.tb.Fatalf("after change %d, fgd's working tree has %q, want %q", c.n, got, want)
	}
	return mid - before, after - mid
}

// BenchmarkFetchOneChange5000 measures what one changed file costs a fetch
// from a 5,000-file repository over smart HTTP: fgd-bytes/op is what the
// server sent fgd's clone, git-bytes/op what it sent `git fetch` in a
// clone made the same way (`git clone --depth 1`) for the same change;
// x-bytes is the ratio (target ≤ 2).
func BenchmarkFetchOneChange5000(b *testing.B) {
	c := newOneChange(b, 5000)
	var fgdBytes, gitBytes int64
	b.ResetTimer()
	for range b.N {
		f, g := c.next()
		fgdBytes += f
		gitBytes += g
	}
	b.StopTimer()
	b.ReportMetric(float64(fgdBytes)/float64(b.N), "fgd-bytes/op")
	b.ReportMetric(float64(gitBytes)/float64(b.N), "git-bytes/op")
	b.ReportMetric(float64(fgdBytes)/float64(gitBytes), "x-bytes")
}

func readFileTB(tb testing.TB, p string) string {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// After the first fetch, a one-file change costs fgd's fetch about what it
// costs `git fetch` in a shallow clone: the new commit, the changed trees
// and the one file, not the whole tree again.
func TestFetchOneChangeBringsOnlyTheChange(t *testing.T) {
	c := newOneChange(t, 1000)
	for range 3 {
		f, g := c.next()
		if f > 2*g {
			t.Errorf("change %d: the server sent fgd %d bytes, git fetch %d: want at most twice git's", c.n, f, g)
		}
	}
	if n := strings.Count(gittest.Git(t, c.repo.Dir(), "rev-list", "HEAD"), "\n") + 1; n > 4 {
		t.Errorf("the clone holds %d commits of history, want the fetched ones only (4)", n)
	}
	gittest.Git(t, c.repo.Dir(), "fsck", "--no-dangling")
}
