package git_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/testutil/testlog"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

const (
	testUser     = "fabric-bot"
	testPassword = "pa55-Very-Secret-xyzzy" // grepped for in every error and log
	branch       = "main"
	fgdName      = "fgd"
	fgdEmail     = "fgd@example.invalid"
)

// seedFGD is an FGD at dc1/ with files in raw/ and in its root, and files
// outside it.
func seedFGD() map[string]string {
	return map[string]string{
		"README.md":                 "fabric repository\n",
		"other/notes.yaml":          "not: fgd\n",
		"dc1/raw/vpc-1.yaml":        "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\n",
		"dc1/raw/vpc-2.yaml":        "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\n",
		"dc1/switches.yaml":         "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-1\n",
		"dc1/managed/vpcs/.gitkeep": "",
	}
}

// env is one test's remote and the options of a Repo for it.
type env struct {
	t      *testing.T
	remote *gittest.Remote
	http   *gittest.HTTPServer // nil for file:// and ssh
	url    string
	auth   git.Auth
	logs   *testlog.Buffer
}

// newEnv creates a remote seeded with files and reaches it by transport
// ("file", "http" or "ssh").
func newEnv(t *testing.T, transport string, files map[string]string) *env {
	t.Helper()
	root := t.TempDir()
	e := &env{t: t, remote: gittest.NewRemote(t, root, "fabric.git", branch, files), logs: &testlog.Buffer{}}
	switch transport {
	case "file":
		e.url = e.remote.FileURL()
	case "http":
		e.http = gittest.NewHTTPServer(t, root, testUser, testPassword)
		e.url = e.http.URL("fabric.git")
		e.auth = git.Auth{Username: testUser, PasswordFile: gittest.WriteSecret(t, t.TempDir(), "password", testPassword+"\n")}
	case "ssh":
		s := gittest.NewSSHServer(t, root)
		e.url = s.URL("fabric.git")
		e.auth = git.Auth{SSHKeyFile: s.KeyFile, KnownHostsFile: s.KnownHostsFile}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), testPassword) {
			t.Errorf("the logs hold the password:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) options() git.Options {
	return git.Options{
		URL:     e.url,
		Branch:  branch,
		Auth:    e.auth,
		Timeout: 20 * time.Second,
		Dir:     filepath.Join(e.t.TempDir(), "clone"),
		Author:  config.Author{Name: fgdName, Email: fgdEmail},
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (e *env) open(o git.Options) *git.Repo {
	e.t.Helper()
	r, err := git.Open(o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = r.Close() })
	return r
}

// update brings the working tree to the remote head; run it with do.
func update(ctx context.Context, w *git.Worktree) error {
	_, err := w.Update(ctx)
	return err
}

// do runs fn inside r.Do and fails the test on its error.
func do(t *testing.T, r *git.Repo, fn func(ctx context.Context, w *git.Worktree) error) {
	t.Helper()
	if err := r.Do(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// noSecret fails the test when err's text holds the password.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testPassword) {
		t.Errorf("the error holds the password: %v", err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor polls cond up to 2 minutes: a bound for a hang, not a timing
// target.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fillGitSpec fills in the git side of a fabric's spec from its source, as
// the daemon does.
func fillGitSpec(h *git.Hub, spec *reconciler.FabricSpec, src *config.GitSource) error {
	var err error
	if spec.Git, err = h.GitSpec(src); err == nil {
		spec.NewSource, err = h.NewFabricSource(src)
	}
	return err
}
