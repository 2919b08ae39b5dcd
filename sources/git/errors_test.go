package git_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestErrorClasses: each failure is classified for the retry policy, names
// the remote, and never holds the password — through RemoteHead and through
// an Update (clone).
func TestErrorClasses(t *testing.T) {
	e := newEnv(t, "http", seedFGD())
	secrets := t.TempDir()
	wrongPassword := gittest.WriteSecret(t, secrets, "wrong", "not-"+testPassword)
	worldReadable := gittest.WriteSecret(t, secrets, "readable", testPassword)
	if err := os.Chmod(worldReadable, 0o644); err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/fabric.git"
	down.Close()

	type kind int
	const (
		transient kind = iota
		auth
		notFound
	)
	tests := []struct {
		name   string
		edit   func(o *git.Options)
		want   kind
		remote string // the error must name it
	}{
		{"wrong password", func(o *git.Options) { o.Auth.PasswordFile = wrongPassword }, auth, e.url},
		{"no credentials", func(o *git.Options) { o.Auth = git.Auth{} }, auth, e.url},
		{"password file missing", func(o *git.Options) { o.Auth.PasswordFile = secrets + "/absent" }, auth, e.url},
		{"password file readable by all", func(o *git.Options) { o.Auth.PasswordFile = worldReadable }, auth, e.url},
		{"repository missing over http", func(o *git.Options) { o.URL = e.http.URL("nope.git") }, notFound, e.http.URL("nope.git")},
		{"repository missing over file", func(o *git.Options) { o.URL = "file://" + secrets + "/nope.git"; o.Auth = git.Auth{} }, notFound, "file://" + secrets + "/nope.git"},
		{"branch missing", func(o *git.Options) { o.Branch = "no-such-branch" }, notFound, e.url},
		{"remote down", func(o *git.Options) { o.URL = downURL }, transient, downURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := e.options()
			tc.edit(&o)
			r := e.open(o)
			_, headErr := r.RemoteHead(context.Background())
			updateErr := r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
				_, err := w.Update(ctx)
				return err
			})
			for op, err := range map[string]error{"RemoteHead": headErr, "Update": updateErr} {
				if err == nil {
					t.Fatalf("%s succeeded", op)
				}
				got := transient
				switch {
				case git.IsAuth(err) && git.IsNotFound(err):
					t.Errorf("%s: %v is both auth and not-found", op, err)
				case git.IsAuth(err):
					got = auth
				case git.IsNotFound(err):
					got = notFound
				}
				if got != tc.want {
					t.Errorf("%s: %v: class %d, want %d", op, err, got, tc.want)
				}
				if !strings.Contains(err.Error(), tc.remote) {
					t.Errorf("%s: %q does not name the remote %s", op, err, tc.remote)
				}
				noSecret(t, err)
				t.Logf("%s: %v", op, err)
			}
		})
	}
}

// TestPasswordRotation: the password file is read on every operation, so a
// fixed secret works without reopening the Repo.
func TestPasswordRotation(t *testing.T) {
	e := newEnv(t, "http", seedFGD())
	file := gittest.WriteSecret(t, t.TempDir(), "token", "old-token")
	o := e.options()
	o.Auth.PasswordFile = file
	r := e.open(o)
	if _, err := r.RemoteHead(context.Background()); !git.IsAuth(err) {
		t.Fatalf("RemoteHead with the old token = %v, want an auth error", err)
	}
	if err := os.WriteFile(file, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if h, err := r.RemoteHead(context.Background()); err != nil || h.String() != e.remote.Head(t) {
		t.Fatalf("RemoteHead after rotation = %s, %v", h, err)
	}
}

// TestTimeout: a remote that accepts and never answers fails within the
// timeout, as a transient error that says so.
func TestTimeout(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	o := e.options()
	o.URL = hang.URL + "/fabric.git"
	o.Timeout = 300 * time.Millisecond
	r := e.open(o)
	_, err := r.RemoteHead(context.Background())
	if err == nil || git.IsAuth(err) || git.IsNotFound(err) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("RemoteHead of a hanging remote = %v, want a transient timeout", err)
	}
}

// TestMetrics: operations are counted by remote (without userinfo), op and
// result.
func TestMetrics(t *testing.T) {
	e := newEnv(t, "http", seedFGD())
	reg := prometheus.NewRegistry()
	o := e.options()
	o.Metrics = git.NewMetrics(reg)
	r := e.open(o)
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		_, err := w.Update(ctx)
		return err
	})
	o.Auth.PasswordFile = gittest.WriteSecret(t, t.TempDir(), "wrong", "wrong-"+testPassword)
	o.Dir = t.TempDir() + "/other"
	bad := e.open(o)
	_, _ = bad.RemoteHead(context.Background())

	for _, tc := range []struct {
		op, result string
		want       float64
	}{
		{git.OpLsRemote, "success", 1},
		{git.OpClone, "success", 1},
		{git.OpLsRemote, "failure", 1},
		{git.OpFetch, "success", 0},
	} {
		if got := counterValue(t, reg, e.url, tc.op, tc.result); got != tc.want {
			t.Errorf("fgd_git_operations_total{op=%q,result=%q} = %v, want %v", tc.op, tc.result, got, tc.want)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if s := f.String(); strings.Contains(s, testPassword) || strings.Contains(s, testUser) {
			t.Errorf("metrics hold credentials: %s", s)
		}
	}
}

// counterValue returns fgd_git_operations_total{remote,op,result}, 0 when
// absent.
func counterValue(t *testing.T, reg *prometheus.Registry, remote, op, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "fgd_git_operations_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["remote"] == remote && labels["op"] == op && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestChangedPaths lists both sides of a change and refuses a base the
// clone does not have.
func TestChangedPaths(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	r := e.open(e.options())
	var base plumbing.Hash
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		var err error
		base, err = w.Update(ctx)
		return err
	})
	next := e.remote.Change(t, "move", map[string]string{"b/new.yaml": "x: 1\n"}, []string{"other/notes.yaml"})
	var head plumbing.Hash
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		var err error
		head, err = w.Update(ctx)
		return err
	})
	if head.String() != next {
		t.Fatalf("Update = %s, want %s", head, next)
	}
	paths, err := r.ChangedPaths(context.Background(), base, head)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(paths, ",") != "b/new.yaml,other/notes.yaml" {
		t.Errorf("ChangedPaths = %q", paths)
	}
	unknown := plumbing.NewHash("1111111111111111111111111111111111111111")
	if _, err := r.ChangedPaths(context.Background(), unknown, head); !errors.Is(err, git.ErrUnknownBase) {
		t.Errorf("ChangedPaths from an unknown commit = %v, want ErrUnknownBase", err)
	}
}

// TestCleanPath checks FGD paths.
func TestCleanPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{".", ".", true},
		{"dc1", "dc1", true},
		{"gitops/dc1/", "gitops/dc1", true},
		{"./a/../b", "b", true},
		{"", "", false},
		{"/etc", "", false},
		{"..", "", false},
		{"a/../../b", "", false},
		{".git", "", false},
		{"a/.GIT/b", "", false},
		{`a\b`, "", false},
	} {
		got, err := git.CleanPath(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestPathThroughSymlink: a symbolic link in the repository cannot make
// fgd write outside the working tree.
func TestPathThroughSymlink(t *testing.T) {
	e := newEnv(t, "file", seedFGD())
	work := t.TempDir()
	gittest.Git(t, work, "clone", "--quiet", e.remote.Dir(), "w")
	if err := os.Symlink("/tmp", work+"/w/escape"); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work+"/w", "add", "escape")
	gittest.Git(t, work+"/w", "commit", "--quiet", "-m", "link")
	gittest.Git(t, work+"/w", "push", "--quiet", "origin", "HEAD:"+branch)
	r := e.open(e.options())
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		if _, err := w.Update(ctx); err != nil {
			return err
		}
		if target, err := os.Readlink(r.Dir() + "/escape"); err != nil || target != "/tmp" {
			t.Errorf("the symlink is not checked out as one: %q, %v", target, err)
		}
		if p, err := w.Path("escape/dc1"); err == nil {
			t.Errorf("Path through a symlink = %q, want an error", p)
		}
		if _, _, err := w.Commit(ctx, "escape/dc1", "x"); err == nil {
			t.Error("Commit through a symlink succeeded")
		}
		return nil
	})
}
