package git_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestSSH clones, commits and pushes over ssh with key auth and a
// known_hosts file.
func TestSSH(t *testing.T) {
	e := newEnv(t, "ssh", seedFGD())
	seed := e.remote.Head(t)
	r := e.open(e.options())
	do(t, r, func(ctx context.Context, w *git.Worktree) error {
		rev, err := w.Update(ctx)
		if err != nil {
			return err
		}
		if rev.String() != seed {
			t.Errorf("Update = %s, want %s", rev, seed)
		}
		dir, err := w.Path("dc1")
		if err != nil {
			return err
		}
		gittest.WriteFiles(t, dir, map[string]string{"managed/vpcs/vpc-1.yaml": "kind: VPC\n"})
		if _, changed, err := w.Commit(ctx, "dc1", "fgd: over ssh"); err != nil || !changed {
			t.Fatalf("Commit = %v, %v", changed, err)
		}
		return w.Push(ctx)
	})
	log := e.remote.Log(t)
	if len(log) != 2 || !strings.HasSuffix(log[0], "|"+fgdName+"|fgd: over ssh") {
		t.Errorf("remote history after an ssh push:\n%s", strings.Join(log, "\n"))
	}
}

// TestSSHHostKey: a server whose key known_hosts does not list, or lists
// differently, is refused with an auth-class error that says why; a wrong
// client key is refused too.
func TestSSHHostKey(t *testing.T) {
	root := t.TempDir()
	gittest.NewRemote(t, root, "fabric.git", branch, seedFGD())
	srv := gittest.NewSSHServer(t, root)
	other := gittest.NewSSHServer(t, t.TempDir()) // another client key and host key
	emptyKnownHosts := gittest.WriteSecret(t, t.TempDir(), "known_hosts", "# nothing\n")
	for _, tc := range []struct {
		name string
		auth git.Auth
		says string
	}{
		{"host key differs", git.Auth{SSHKeyFile: srv.KeyFile, KnownHostsFile: srv.WrongKnownHostsFile}, "key mismatch"},
		{"host unknown", git.Auth{SSHKeyFile: srv.KeyFile, KnownHostsFile: emptyKnownHosts}, "key is unknown"},
		{"client key refused", git.Auth{SSHKeyFile: other.KeyFile, KnownHostsFile: srv.KnownHostsFile}, "unable to authenticate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := git.Open(git.Options{URL: srv.URL("fabric.git"), Branch: branch, Auth: tc.auth, Dir: t.TempDir() + "/clone"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.RemoteHead(context.Background())
			if !git.IsAuth(err) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("RemoteHead = %v; want an auth error that says %q", err, tc.says)
			}
			t.Log(err)
		})
	}
	if n := srv.Sessions.Load(); n != 0 {
		t.Errorf("the server ran %d git commands for refused clients", n)
	}
}

// TestSSHInsecureHostKey: with insecure_skip_host_key_check any host key is
// accepted, and a warning says so.
func TestSSHInsecureHostKey(t *testing.T) {
	e := newEnv(t, "ssh", seedFGD())
	o := e.options()
	o.Auth.KnownHostsFile = ""
	o.Auth.InsecureSkipHostKeyCheck = true
	r := e.open(o)
	if h, err := r.RemoteHead(context.Background()); err != nil || h.String() != e.remote.Head(t) {
		t.Fatalf("RemoteHead = %s, %v", h, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "host key checking is off") {
		t.Errorf("no warning about the host key check:\n%s", logs)
	}
}
