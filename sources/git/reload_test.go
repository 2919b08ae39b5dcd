package git_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/testutil/faultproxy"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// A reload that changes a followed repository's settings puts them in
// force without a restart: the operator fixes a wrong password file, sets
// another author and a shorter interval, reloads, and the same clone syncs
// with the new password, commits as the new author and polls at the new
// interval.
func TestReloadChangesRepositorySettings(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	srv := gittest.NewHTTPServer(t, root, "git", "right-pass")
	d := newDaemon(t, reconciler.Options{})
	spec := func(hash string, src config.GitSource) reconciler.FabricSpec {
		t.Helper()
		src.URL, src.Branch, src.Path, src.Push = srv.URL("fabric.git"), "main", "fgd", true
		s := reconciler.FabricSpec{Name: "dc1", Hash: hash}
		if err := fillGitSpec(d.hub, &s, &src); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// As first configured: a wrong password, a one-hour interval.
	d.apply(spec("v1", config.GitSource{Interval: time.Hour, Timeout: 10 * time.Second,
		Auth:   config.GitAuth{Username: "git", PasswordFile: gittest.WriteSecret(t, t.TempDir(), "pw", "wrong-pass")},
		Author: config.Author{Name: "fgd", Email: "fgd@example.invalid"}}))
	eventually(t, "the first sync to fail on the password", func() bool {
		st := d.fabric("dc1")
		return st.Attempted && !st.Syncing && st.Last.State == reconciler.StateFailed
	})
	if st := d.fabric("dc1").Last; st.ErrorClass != "stalled" {
		t.Fatalf("wrong password: class %s (%s), want stalled", st.ErrorClass, st.Error)
	}

	// The reload: the right password file, another author, 100 ms.
	d.apply(spec("v2", config.GitSource{Interval: 100 * time.Millisecond, Timeout: 10 * time.Second,
		Auth:   config.GitAuth{Username: "git", PasswordFile: gittest.WriteSecret(t, t.TempDir(), "pw", "right-pass")},
		Author: config.Author{Name: "Reloaded Bot", Email: "bot@example.invalid"}}))
	eventually(t, "the fabric to push with the new password", func() bool { return remoteHas(remote, "fgd/managed/vpcs/vpc-a.yaml") })
	if log := remote.Log(t); !strings.Contains(log[0], "|Reloaded Bot|") {
		t.Errorf("fgd's commit after the reload is not by the new author: %q", log[0])
	}
	// Only the new interval can see this push within the test's bound: the
	// old one was an hour.
	remote.Change(t, "more", map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")}, nil)
	eventually(t, "a poll at the new interval to ingest the push", func() bool { return remoteHas(remote, "fgd/managed/vpcs/vpc-b.yaml") })
}

// Reconfigure changes the timeout of the next network operation and says
// what changed; the same settings again change nothing.
func TestRepoReconfigureTimeout(t *testing.T) {
	e := newEnv(t, "http", seedFGD())
	p := newProxy(t, strings.TrimPrefix(strings.TrimSuffix(e.http.URL(""), "/"), "http://"))
	if err := p.SetFault(faultproxy.Blackhole, faultproxy.Options{}); err != nil {
		t.Fatal(err)
	}
	o := e.options()
	o.URL = "http://" + p.Addr() + "/fabric.git"
	r := e.open(o)

	next := git.Settings{Auth: o.Auth, Timeout: 300 * time.Millisecond, Author: o.Author}
	if got := r.Reconfigure(next); strings.Join(got, ",") != "timeout" {
		t.Fatalf("Reconfigure changed %v, want [timeout]", got)
	}
	if got := r.Reconfigure(next); len(got) != 0 {
		t.Fatalf("the same settings again changed %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := r.RemoteHead(ctx)
	if err == nil || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Fatalf("a blackholed remote with a 300ms timeout: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the head check ran into the test's own deadline: the new timeout was not used")
	}
}

// SetInterval wakes a running Poller that waits out a long interval: the
// next check comes one new interval after the last one.
func TestPollerSetInterval(t *testing.T) {
	e := newEnv(t, "file", monorepo())
	r := e.open(e.options())
	p := git.NewPoller(r, time.Hour, nil)
	polls := make(chan struct{}, 1)
	git.SetAfterPoll(p, func() {
		select { // never blocks the poller: a signal waiting is enough
		case polls <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitPoll := func(what string) {
		t.Helper()
		select {
		case <-polls:
		case <-time.After(30 * time.Second):
			t.Fatalf("no poll: %s", what)
		}
	}
	waitPoll("the startup check")
	if p.SetInterval(time.Hour) {
		t.Error("SetInterval reported a change to the same interval")
	}
	if !p.SetInterval(50*time.Millisecond) || p.Interval() != 50*time.Millisecond {
		t.Fatalf("SetInterval(50ms): interval %s", p.Interval())
	}
	waitPoll("a check at the new interval, an hour before the old one was due")
	waitPoll("the next one")
	if !p.SetInterval(0) || p.Interval() != git.DefaultInterval {
		t.Errorf("SetInterval(0): interval %s, want the default %s", p.Interval(), git.DefaultInterval)
	}
}
