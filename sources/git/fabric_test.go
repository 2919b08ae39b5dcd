package git_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/internal/testutil/faultproxy"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

const fabricVPC = testdocs.VPCFormat

func vpc(name string) string { return fmt.Sprintf(fabricVPC, name) }

// daemon is a reconciler with a git Hub, as `fgd run` wires them.
type daemon struct {
	t      *testing.T
	rec    *reconciler.Reconciler
	hub    *git.Hub
	state  string
	cancel context.CancelFunc
	done   chan struct{}
}

func newDaemon(t *testing.T, opts reconciler.Options) *daemon {
	t.Helper()
	reg, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	opts.Registry = reg
	if opts.Store == nil {
		if opts.Store, err = state.New(); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Metrics == nil {
		opts.Metrics = reconciler.NewMetrics(prometheus.NewRegistry())
	}
	if opts.Backoff.Initial == 0 {
		opts.Backoff = resilience.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2, Attempts: 3}
	}
	rec, err := reconciler.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{t: t, rec: rec, state: t.TempDir(), cancel: cancel, done: make(chan struct{})}
	d.hub = git.NewHub(d.state, nil, nil)
	go func() { defer close(d.done); _ = rec.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-d.done })
	return d
}

func (d *daemon) gitSpec(name string, src config.GitSource) reconciler.FabricSpec {
	d.t.Helper()
	if src.Branch == "" {
		src.Branch = "main"
	}
	if src.Interval == 0 {
		src.Interval = 100 * time.Millisecond
	}
	if src.Timeout == 0 {
		src.Timeout = 10 * time.Second
	}
	src.Push = true
	src.Author = config.Author{Name: "fgd", Email: "fgd@example.invalid"}
	spec := reconciler.FabricSpec{Name: name, Hash: name + src.URL + src.Path}
	if err := fillGitSpec(d.hub, &spec, &src); err != nil {
		d.t.Fatal(err)
	}
	return spec
}

func (d *daemon) apply(specs ...reconciler.FabricSpec) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.rec.Apply(ctx, specs); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) fabric(name string) reconciler.FabricStatus {
	for _, f := range d.rec.Fabrics() {
		if f.Name == name {
			return f
		}
	}
	d.t.Fatalf("no fabric %s", name)
	return reconciler.FabricStatus{}
}

// eventually polls cond for up to 2 minutes: a bound for a wedged test,
// not a performance assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remoteHas reports whether the remote branch's head holds path; one git
// call, so it cannot mix two heads while fgd pushes.
func remoteHas(r *gittest.Remote, path string) bool {
	_, err := gittest.RunGit(r.Dir(), "cat-file", "-e", "refs/heads/"+r.Branch+":"+path)
	return err == nil
}

// remotePaths lists the remote head's paths.
func remotePaths(t *testing.T, r *gittest.Remote) []string {
	t.Helper()
	out := gittest.Git(t, r.Dir(), "ls-tree", "-r", "--name-only", "refs/heads/"+r.Branch)
	return strings.Split(out, "\n")
}

func fgdCommits(log []string) int {
	n := 0
	for _, l := range log {
		if strings.Contains(l, "|fgd|") {
			n++
		}
	}
	return n
}

// linear reports whether no commit of the log has two parents.
func linear(log []string) bool {
	for _, l := range log {
		head, _, _ := strings.Cut(l, "|")
		if len(strings.Fields(head)) > 2 {
			return false
		}
	}
	return true
}

// A repository whose FGD has files in raw/ and in its root is cloned and
// ingested; the remote gets exactly one commit; polls without a remote
// change make no fetch and no commit.
func TestGitFabricIngestsAndPushesOneCommit(t *testing.T) {
	for _, transport := range []string{"file", "http"} {
		t.Run(transport, func(t *testing.T) {
			root := t.TempDir()
			remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{
				"README.md":                     "fabric repo\n",
				"gitops/dc1/raw/vpcs.yaml":      vpc("vpc-1") + "---\n" + vpc("vpc-2"),
				"gitops/dc1/old-switches.yaml":  vpc("vpc-root"),
				"gitops/dc1/raw/notes.txt":      "not yaml\n",
				"elsewhere/untouched/file.yaml": vpc("not-in-the-fgd"),
			})
			src := config.GitSource{URL: remote.FileURL(), Path: "gitops/dc1"}
			var srv *gittest.HTTPServer
			if transport == "http" {
				srv = gittest.NewHTTPServer(t, root, "git", "s3cret-pass")
				src.URL = srv.URL("fabric.git")
				src.Auth = config.GitAuth{Username: "git", PasswordFile: gittest.WriteSecret(t, t.TempDir(), "pw", "s3cret-pass")}
			}
			d := newDaemon(t, reconciler.Options{})
			d.apply(d.gitSpec("dc1", src))
			eventually(t, "fgd's commit", func() bool { return fgdCommits(remote.Log(t)) == 1 })
			eventually(t, "the sync to end", func() bool { f := d.fabric("dc1"); return f.Attempted && !f.Syncing })

			files := remote.Files(t)
			for _, want := range []string{"gitops/dc1/managed/vpcs/vpc-1.yaml", "gitops/dc1/managed/vpcs/vpc-2.yaml",
				"gitops/dc1/managed/vpcs/vpc-root.yaml", "gitops/dc1/.hnp/archive/vpcs.yaml", "gitops/dc1/unmanaged/notes.txt",
				"gitops/dc1/.hnp/manifest.yaml", "elsewhere/untouched/file.yaml", "README.md"} {
				if _, ok := files[want]; !ok {
					t.Errorf("remote lacks %s", want)
				}
			}
			for _, gone := range []string{"gitops/dc1/raw/vpcs.yaml", "gitops/dc1/old-switches.yaml", "gitops/dc1/.hnp/lock"} {
				if _, ok := files[gone]; ok {
					t.Errorf("remote still has %s", gone)
				}
			}
			log := remote.Log(t)
			if !strings.Contains(log[0], "fgd: ingest") {
				t.Errorf("commit message %q does not say what happened", log[0])
			}

			// Ten more polls with no remote change: no fetch, no commit.
			var upload0, receive0 int64
			if srv != nil {
				_, upload0, receive0 = srv.Counts()
			}
			before := len(remote.Log(t))
			time.Sleep(10 * 100 * time.Millisecond)
			if n := len(remote.Log(t)); n != before {
				t.Errorf("%d new commits without a remote change", n-before)
			}
			if srv != nil {
				infoRefs, upload, receive := srv.Counts()
				if upload != upload0 || receive != receive0 {
					t.Errorf("idle polls fetched (%d) or pushed (%d)", upload-upload0, receive-receive0)
				}
				if infoRefs < 5 {
					t.Errorf("only %d head checks in ten intervals", infoRefs)
				}
			}
		})
	}
}

// racingRepo pushes a commit as someone else right before fgd's first push.
type racingRepo struct {
	reconciler.Repository
	race func()
	once *sync.Once
}

func (r racingRepo) Do(ctx context.Context, fn func(ctx context.Context, w reconciler.Worktree) error) error {
	return r.Repository.Do(ctx, func(ctx context.Context, w reconciler.Worktree) error {
		return fn(ctx, racingWorktree{w, r})
	})
}

type racingWorktree struct {
	reconciler.Worktree
	r racingRepo
}

func (w racingWorktree) Push(ctx context.Context) (bool, error) {
	w.r.once.Do(w.r.race)
	return w.Worktree.Push(ctx)
}

// A commit pushed by someone else between fgd's fetch and push: the push is
// rejected, fgd re-runs on the new head, and the remote ends with both
// commits, linear, no force.
func TestGitPushRaceRerunsOnTheNewHead(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{
		"fgd/raw/a.yaml": vpc("vpc-a"),
	})
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, reconciler.Options{Store: store})
	spec := d.gitSpec("dc1", config.GitSource{URL: remote.FileURL(), Path: "fgd", Interval: time.Hour})
	var theirs string
	spec.Git.Repo = racingRepo{Repository: spec.Git.Repo, once: &sync.Once{}, race: func() {
		theirs = remote.Change(t, "someone else", map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")}, nil)
	}}
	d.apply(spec)
	eventually(t, "the sync to end", func() bool { f := d.fabric("dc1"); return f.Attempted && !f.Syncing })
	if st := d.fabric("dc1").Last; st.State != reconciler.StateCompleted {
		t.Fatalf("sync %s: %s", st.State, st.Error)
	}
	log := remote.Log(t)
	if !linear(log) || fgdCommits(log) != 1 || !strings.HasPrefix(log[1], theirs) {
		t.Fatalf("remote history not [fgd, theirs, seed] linear:\n%s", strings.Join(log, "\n"))
	}
	files := remote.Files(t)
	for _, want := range []string{"fgd/managed/vpcs/vpc-a.yaml", "fgd/managed/vpcs/vpc-b.yaml"} {
		if _, ok := files[want]; !ok {
			t.Errorf("remote lacks %s: the re-run did not ingest the other commit's file", want)
		}
	}
	syncs, _ := store.Syncs(nil, "dc1", 10)
	rerun := false
	for _, sy := range syncs {
		var states []string
		for _, tr := range sy.Transitions {
			states = append(states, string(tr.State))
		}
		rerun = rerun || strings.Contains(strings.Join(states, ","), "syncing,retrying,initializing")
	}
	if !rerun {
		t.Error("no sync shows the rejected push and the re-run (syncing, retrying, initializing)")
	}
}

// newProxy is a fault-injecting loopback proxy in front of backend, to take
// a remote down and bring it back at the same address.
func newProxy(t *testing.T, backend string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = p.Close() })
	return p
}

// setDown sets the proxy to refuse every connection (true) or to forward (false).
func setDown(t *testing.T, p *faultproxy.Proxy, on bool) {
	t.Helper()
	f := faultproxy.None
	if on {
		f = faultproxy.Refuse
	}
	if err := p.SetFault(f, faultproxy.Options{}); err != nil {
		t.Fatal(err)
	}
}

// Wrong password: the fabric stalls with a message naming the remote, not
// the password, and tries at most once per interval. Remote down: the
// circuit opens after 5 failures, probes after the window, closes when the
// remote is back. A second fabric keeps syncing throughout.
func TestGitFailuresStallOrOpenTheCircuit(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	other := gittest.NewRemote(t, root, "other.git", "main", map[string]string{"fgd/raw/o.yaml": vpc("vpc-o")})
	srv := gittest.NewHTTPServer(t, root, "git", "right-pass")
	proxy := newProxy(t, strings.TrimSuffix(strings.TrimPrefix(srv.URL(""), "http://"), "/"))
	proxyURL := "http://" + proxy.Addr() + "/fabric.git"

	var mu sync.Mutex
	var transitions []string
	d := newDaemon(t, reconciler.Options{Breakers: resilience.BreakerOptions{OpenFor: 500 * time.Millisecond,
		OnChange: func(target string, _, to resilience.BreakerState) {
			mu.Lock()
			transitions = append(transitions, target+"→"+string(to))
			mu.Unlock()
		}}})
	const interval = 200 * time.Millisecond
	wrong := d.gitSpec("badauth", config.GitSource{URL: srv.URL("fabric.git"), Path: "fgd", Interval: interval,
		Auth: config.GitAuth{Username: "git", PasswordFile: gittest.WriteSecret(t, t.TempDir(), "pw", "wrong-pass-XYZ")}})
	down := d.gitSpec("down", config.GitSource{URL: proxyURL, Path: "fgd", Interval: time.Hour,
		Auth: config.GitAuth{Username: "git", PasswordFile: gittest.WriteSecret(t, t.TempDir(), "pw", "right-pass")}})
	healthy := d.gitSpec("healthy", config.GitSource{URL: other.FileURL(), Path: "fgd", Interval: interval})

	setDown(t, proxy, true)
	start := time.Now()
	d.apply(wrong, down, healthy)
	eventually(t, "first syncs", func() bool {
		return d.fabric("badauth").Attempted && d.fabric("down").Attempted && d.fabric("healthy").Attempted
	})

	// Wrong password: stalled, clear, no secret, no retry storm.
	bad := d.fabric("badauth").Last
	if bad.State != reconciler.StateFailed || bad.ErrorClass != "stalled" || !strings.Contains(bad.Error, srv.URL("fabric.git")) ||
		strings.Contains(bad.Error, "wrong-pass-XYZ") || bad.Remediation == "" {
		t.Errorf("wrong password: state %s class %s error %q remediation %q", bad.State, bad.ErrorClass, bad.Error, bad.Remediation)
	}
	time.Sleep(6 * interval)
	elapsed := time.Since(start)
	// One head check per interval (jittered ±10%), the startup poll and the
	// one stalled sync: nothing retries a bad password.
	if refused, allowed := srv.Unauthorized.Load(), int64(elapsed/(interval*9/10))+3; refused > allowed {
		t.Errorf("%d refused requests in %s: more than one attempt per %s interval", refused, elapsed.Round(time.Millisecond), interval)
	}

	// Remote down: 3 attempts in the first sync, the next sync opens it.
	if st := d.fabric("down").Last; st.State != reconciler.StateFailed {
		t.Fatalf("down remote's sync: %s", st.State)
	}
	target := "git:" + proxyURL
	for d.rec.CircuitState(target) != resilience.BreakerOpen {
		before := d.fabric("down").Syncs
		_ = d.rec.Trigger("down", reconciler.Trigger{Kind: "manual"})
		eventually(t, "the retry sync", func() bool { return d.fabric("down").Syncs > before && !d.fabric("down").Syncing })
		if d.fabric("down").Syncs > 4 {
			t.Fatal("the circuit did not open after 5 failures")
		}
	}
	// While open, a sync fails fast without touching the remote.
	setDown(t, proxy, false)
	infoBefore, _, _ := srv.Counts()
	before := d.fabric("down").Syncs
	_ = d.rec.Trigger("down", reconciler.Trigger{Kind: "manual"})
	eventually(t, "the fail-fast sync", func() bool { return d.fabric("down").Syncs > before && !d.fabric("down").Syncing })
	if info, _, _ := srv.Counts(); info != infoBefore && d.rec.CircuitState(target) == resilience.BreakerOpen {
		t.Error("an open circuit let a request through")
	}
	// After the window, the probe goes through and closes it.
	eventually(t, "the probe to close the circuit", func() bool {
		if d.rec.CircuitState(target) == resilience.BreakerClosed {
			return true
		}
		if !d.fabric("down").Syncing {
			_ = d.rec.Trigger("down", reconciler.Trigger{Kind: "manual"})
		}
		return false
	})
	eventually(t, "the recovered fabric to push", func() bool { return fgdCommits(remote.Log(t)) == 1 })
	mu.Lock()
	got := strings.Join(transitions, ",")
	mu.Unlock()
	for _, want := range []string{target + "→open", target + "→half-open", target + "→closed"} {
		if !strings.Contains(got, want) {
			t.Errorf("circuit transitions %s lack %s", got, want)
		}
	}

	// The healthy fabric synced throughout.
	if fgdCommits(other.Log(t)) != 1 {
		t.Error("the healthy fabric did not push its commit")
	}
	other.Change(t, "more", map[string]string{"fgd/raw/p.yaml": vpc("vpc-p")}, nil)
	eventually(t, "the healthy fabric to keep syncing", func() bool { return fgdCommits(other.Log(t)) == 2 })
}

// Monorepo: three fabrics at three paths of one repository share one clone
// and one head check per interval; a push touching one path syncs only that
// fabric; simultaneous drops into all three paths all land, linear.
func TestGitMonorepo(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "mono.git", "main", map[string]string{
		"fabrics/a/raw/a.yaml": vpc("vpc-a"), "fabrics/b/raw/b.yaml": vpc("vpc-b"), "fabrics/c/raw/c.yaml": vpc("vpc-c"),
	})
	srv := gittest.NewHTTPServer(t, root, "", "")
	url := srv.URL("mono.git")
	d := newDaemon(t, reconciler.Options{})
	const interval = 150 * time.Millisecond
	var specs []reconciler.FabricSpec
	for _, n := range []string{"a", "b", "c"} {
		specs = append(specs, d.gitSpec(n, config.GitSource{URL: url, Path: "fabrics/" + n, Interval: interval}))
	}
	d.apply(specs...)
	eventually(t, "three first pushes", func() bool { return fgdCommits(remote.Log(t)) == 3 })
	eventually(t, "idle", func() bool {
		for _, n := range []string{"a", "b", "c"} {
			if f := d.fabric(n); !f.Attempted || f.Syncing {
				return false
			}
		}
		return true
	})
	clones, _ := os.ReadDir(filepath.Join(d.state, "git"))
	if len(clones) != 1 {
		t.Errorf("%d clones on disk for one repository, want 1", len(clones))
	}

	// One head check per interval for the three fabrics.
	time.Sleep(2 * interval)
	i0, _, _ := srv.Counts()
	const polls = 8
	time.Sleep(polls * interval)
	i1, _, _ := srv.Counts()
	if n := i1 - i0; n > polls+3 {
		t.Errorf("%d head checks in %d intervals for one repository of three fabrics, want about %d", n, polls, polls)
	}

	// A push touching only b syncs only b.
	syncs := map[string]int{}
	for _, n := range []string{"a", "b", "c"} {
		syncs[n] = d.fabric(n).Syncs
	}
	remote.Change(t, "b only", map[string]string{"fabrics/b/raw/b2.yaml": vpc("vpc-b2")}, nil)
	eventually(t, "b to ingest", func() bool { return remoteHas(remote, "fabrics/b/managed/vpcs/vpc-b2.yaml") })
	time.Sleep(3 * interval)
	for _, n := range []string{"a", "c"} {
		if got := d.fabric(n).Syncs; got != syncs[n] {
			t.Errorf("fabric %s synced %d times for a push that touched only b", n, got-syncs[n])
		}
	}

	// Simultaneous drops into all three paths: all land, linear.
	remote.Change(t, "all three", map[string]string{
		"fabrics/a/raw/a3.yaml": vpc("vpc-a3"), "fabrics/b/raw/b3.yaml": vpc("vpc-b3"), "fabrics/c/raw/c3.yaml": vpc("vpc-c3"),
	}, nil)
	eventually(t, "all three to ingest", func() bool {
		for _, p := range []string{"fabrics/a/managed/vpcs/vpc-a3.yaml", "fabrics/b/managed/vpcs/vpc-b3.yaml", "fabrics/c/managed/vpcs/vpc-c3.yaml"} {
			if !remoteHas(remote, p) {
				return false
			}
		}
		return true
	})
	eventually(t, "idle again", func() bool {
		for _, n := range []string{"a", "b", "c"} {
			if d.fabric(n).Syncing {
				return false
			}
		}
		return true
	})
	log := remote.Log(t)
	if !linear(log) {
		t.Errorf("history not linear:\n%s", strings.Join(log, "\n"))
	}
	for _, p := range remotePaths(t, remote) {
		if strings.Contains(p, "/raw/") && !strings.HasSuffix(p, ".gitkeep") {
			t.Errorf("%s left in raw/", p)
		}
	}
}

// SSH with key auth and a known_hosts file: clone, ingest, push; a fabric
// whose known_hosts does not hold the server's key is refused and stalls.
func TestGitFabricOverSSH(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	srv := gittest.NewSSHServer(t, root)
	d := newDaemon(t, reconciler.Options{})
	good := d.gitSpec("good", config.GitSource{URL: srv.URL("fabric.git"), Path: "fgd", Interval: time.Hour,
		Auth: config.GitAuth{SSHKeyFile: srv.KeyFile, KnownHostsFile: srv.KnownHostsFile}})
	d.apply(good)
	eventually(t, "the push over ssh", func() bool { return remoteHas(remote, "fgd/managed/vpcs/vpc-a.yaml") })

	other := gittest.NewRemote(t, root, "other.git", "main", map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")})
	bad := d.gitSpec("bad", config.GitSource{URL: srv.URL("other.git"), Path: "fgd", Interval: time.Hour,
		Auth: config.GitAuth{SSHKeyFile: srv.KeyFile, KnownHostsFile: srv.WrongKnownHostsFile}})
	d.apply(good, bad)
	eventually(t, "the unknown host's sync", func() bool { return d.fabric("bad").Attempted })
	st := d.fabric("bad").Last
	if st.State != reconciler.StateFailed || st.ErrorClass != "stalled" || !strings.Contains(strings.ToLower(st.Error), "host key") {
		t.Errorf("unknown host key: state %s class %s error %q; want stalled naming the host key", st.State, st.ErrorClass, st.Error)
	}
	if remoteHas(other, "fgd/managed/vpcs/vpc-b.yaml") {
		t.Error("fgd pushed to a host whose key it does not know")
	}
}

// A commit that edits managed/ without touching raw/ still changes the
// desired set; a fabric path the branch does not have yet is created.
func TestGitManagedOnlyChangeAndNewPath(t *testing.T) {
	root := t.TempDir()
	remote := gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{
		"fgd/raw/a.yaml": vpc("vpc-a") + "---\n" + vpc("vpc-b"),
		"README.md":      "repo\n",
	})
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, reconciler.Options{Store: store})
	d.apply(d.gitSpec("dc1", config.GitSource{URL: remote.FileURL(), Path: "fgd", Interval: 100 * time.Millisecond}),
		d.gitSpec("fresh", config.GitSource{URL: remote.FileURL(), Path: "fabrics/fresh", Interval: 100 * time.Millisecond}))
	desired := func() int { rs, _ := store.Desired(nil, "dc1"); return len(rs) }
	eventually(t, "two desired resources", func() bool { return desired() == 2 })
	eventually(t, "the new fabric's FGD to be committed", func() bool { return remoteHas(remote, "fabrics/fresh/.hnp/manifest.yaml") })

	// Both fabrics' pushes must be on the remote, and both idle, before
	// someone else pushes: their push would otherwise race fgd's.
	eventually(t, "vpc-b on the remote", func() bool { return remoteHas(remote, "fgd/managed/vpcs/vpc-b.yaml") })
	eventually(t, "both fabrics idle", func() bool {
		a, b := d.fabric("dc1"), d.fabric("fresh")
		return a.Attempted && b.Attempted && !a.Syncing && !b.Syncing
	})
	remote.Change(t, "retire vpc-b by hand", nil, []string{"fgd/managed/vpcs/vpc-b.yaml"})
	eventually(t, "the desired set to follow the commit", func() bool { return desired() == 1 })
}
