package reliability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/faultproxy"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The rig of the remote-faults soak.
const (
	faultFabrics  = 20
	faultInterval = 1500 * time.Millisecond // source.git.interval
	faultTimeout  = 4 * time.Second         // source.git.timeout
	faultFGD      = "fgd"                   // the FGD's path in every repository
	faultUser     = "git"
	faultPassword = "fault-soak-password"
	// faultPushEvery is the pace of the direct pushes, round robin over the
	// fabrics: each remote gets a new raw file every 21 × 250 ms ≈ 5 s.
	faultPushEvery = 250 * time.Millisecond
	// faultControl names the 21st fabric, whose proxy never faults: how
	// long its pushes wait to be ingested shows whether the failing
	// fabrics hold it back (SPEC §4: a breaker "never affects other
	// fabrics").
	faultControl = "control"
	// faultPackFDs is how many pack files a clone keeps open at most
	// (MaxOpenDescriptors in sources/git/store.go): a bounded cache, not a
	// leak, that fills as fetches add packs.
	faultPackFDs = 16
)

// faultFabric is one git fabric of the soak: its bare repository, the
// counting HTTP layer in front of the git server, and the fault proxy the
// daemon reaches it through.
type faultFabric struct {
	name    string
	remote  *gittest.Remote
	backend *faultBackend
	proxy   *faultproxy.Proxy
	url     string // what the daemon's config names: through the proxy
	sink    string // the directory sink's path

	mu     sync.Mutex
	pushed []string // resource names committed to raw/, the seed's first
}

// target is the fabric's circuit-breaker target, as logs and metrics name it.
func (f *faultFabric) target() string { return "git:" + f.url }

// wanted returns the resources the fabric's FGD must end up holding: one
// per raw file committed to its remote.
func (f *faultFabric) wanted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.pushed...)
}

// faultRig is the daemon and its fabrics: twenty that fault, and the
// control, last.
type faultRig struct {
	fabrics []*faultFabric
	d       *daemontest.Daemon
	// restart runs the daemon again on the same config and state.
	restart func() *daemontest.Daemon
}

// faulty returns the fabrics whose proxies fault.
func (r *faultRig) faulty() []*faultFabric { return r.fabrics[:faultFabrics] }

// control returns the fabric whose proxy never faults.
func (r *faultRig) control() *faultFabric { return r.fabrics[faultFabrics] }

// faultStartRig builds the binary, makes the repositories (one seed file in
// raw/ each) behind one git http-backend with basic auth, puts a counting
// layer and a fault proxy per fabric in front, and starts the daemon.
//
// A proxy per fabric, not one for all: each remote's network path fails on
// its own schedule, so at any moment some circuits are open while others
// sync, and every request the git server sees is attributed to one remote.
func faultStartRig(t *testing.T) *faultRig {
	t.Helper()
	bin := daemontest.Build(t)
	dir := t.TempDir()
	repos := filepath.Join(dir, "repos")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		t.Fatal(err)
	}
	git := gittest.NewHTTPServer(t, repos, faultUser, faultPassword)
	pw := gittest.WriteSecret(t, dir, "git-password", faultPassword)
	port := daemontest.FreePort(t)
	rig := &faultRig{}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: 127.0.0.1:%d\nstate_dir: %s\nfabrics:\n", port, filepath.Join(dir, "state"))
	for i := range faultFabrics + 1 {
		name := fmt.Sprintf("f%02d", i)
		if i == faultFabrics {
			name = faultControl
		}
		seed := name + "-seed"
		remote := gittest.NewRemote(t, repos, name+".git", "main", map[string]string{
			faultFGD + "/raw/" + seed + ".yaml": fmt.Sprintf(vpcDoc, seed),
		})
		backend := faultNewBackend(t, git.URL(""))
		proxy := faultNewProxy(t, backend.addr())
		f := &faultFabric{name: name, remote: remote, backend: backend, proxy: proxy,
			url: "http://" + proxy.Addr() + "/" + name + ".git", sink: filepath.Join(dir, "sinks", name), pushed: []string{seed}}
		rig.fabrics = append(rig.fabrics, f)
		fmt.Fprintf(&cfg, "  - name: %s\n    source:\n      git: {url: %q, branch: main, path: %s, interval: %s, timeout: %s,\n", name, f.url, faultFGD, faultInterval, faultTimeout)
		fmt.Fprintf(&cfg, "            auth: {username: %s, password_file: %q}}\n", faultUser, pw)
		fmt.Fprintf(&cfg, "    sinks:\n      - directory: {path: %q, prune: true}\n", f.sink)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rig.d = daemontest.Start(t, bin, dir, cfgPath, port)
	rig.restart = func() *daemontest.Daemon { return daemontest.Start(t, bin, dir, cfgPath, port) }
	return rig
}

// dropIdleConns closes the git servers' idle keep-alive connections, so
// the daemon's next requests open new ones; measured before and after the
// faults alike, so both counts hold the same steady set of connections.
func (r *faultRig) dropIdleConns() {
	for _, f := range r.fabrics {
		f.backend.keepAlive(true)
	}
}

// faultNewProxy starts a fault proxy in front of backend until the test ends.
func faultNewProxy(t *testing.T, backend string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = p.Close(); <-done })
	return p
}

// The kinds of request a git server sees over smart HTTP.
const (
	faultRefsFetch = "GET info/refs upload-pack"  // head checks, and the start of every fetch
	faultRefsPush  = "GET info/refs receive-pack" // the start of a push
	faultFetch     = "POST git-upload-pack"
	faultPush      = "POST git-receive-pack"
	faultOther     = "other"
)

// faultRequest is one request that reached the git server.
type faultRequest struct {
	At   time.Time
	Kind string
}

// faultBackend stands for the git server of one remote: it records every
// request that reached it, then passes it to the shared git http-backend.
// Its keep-alive connections can be cut, as a server that restarts or a
// middlebox that forgets them would.
type faultBackend struct {
	srv *httptest.Server
	tr  *http.Transport

	mu   sync.Mutex
	reqs []faultRequest
}

// faultNewBackend starts a counting layer in front of the git server at
// gitURL until the test ends.
func faultNewBackend(t *testing.T, gitURL string) *faultBackend {
	t.Helper()
	target, err := url.Parse(strings.TrimSuffix(gitURL, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b := &faultBackend{tr: &http.Transport{MaxIdleConnsPerHost: 4}}
	quiet := log.New(io.Discard, "", 0) // clients that give up mid-answer are the point here
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     b.tr,
		FlushInterval: -1,
		ErrorLog:      quiet,
	}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.reqs = append(b.reqs, faultRequest{At: time.Now(), Kind: faultKindOf(r)})
		b.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	b.srv.Config.ErrorLog = quiet
	b.srv.Start()
	t.Cleanup(func() { b.srv.Close(); b.tr.CloseIdleConnections() })
	return b
}

// addr is the layer's host:port, the fault proxy's backend.
func (b *faultBackend) addr() string { return strings.TrimPrefix(b.srv.URL, "http://") }

// keepAlive closes the idle connections and then serves the next ones with
// keep-alive (on) or one request per connection (off).
func (b *faultBackend) keepAlive(on bool) {
	b.srv.Config.SetKeepAlivesEnabled(false) // closes the idle ones
	if on {
		b.srv.Config.SetKeepAlivesEnabled(true)
	}
}

// requests returns the requests that reached the layer so far.
func (b *faultBackend) requests() []faultRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]faultRequest(nil), b.reqs...)
}

// faultKindOf names a smart-HTTP request's kind.
func faultKindOf(r *http.Request) string {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/info/refs"):
		if r.URL.Query().Get("service") == "git-receive-pack" {
			return faultRefsPush
		}
		return faultRefsFetch
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
		return faultFetch
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
		return faultPush
	}
	return faultOther
}

// faultPushLoop commits a new raw file to one fabric's remote after the
// other, directly into the bare repositories (not through the proxies), one
// every faultPushEvery, until ctx ends.
func faultPushLoop(ctx context.Context, fabrics []*faultFabric) error {
	tick := time.NewTicker(faultPushEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		f := fabrics[n%len(fabrics)]
		name := fmt.Sprintf("%s-%04d", f.name, n/len(fabrics))
		if err := faultCommitRaw(f.remote, name); err != nil {
			return err
		}
		f.mu.Lock()
		f.pushed = append(f.pushed, name)
		f.mu.Unlock()
	}
}

// faultCommitRaw adds raw/<name>.yaml to the remote's branch as someone
// other than fgd: git fast-import writes the commit on a scratch ref, and
// update-ref moves the branch only if it is still where the commit starts
// from, so a push of fgd's in between is never overwritten (the commit is
// then made again on the new head).
func faultCommitRaw(r *gittest.Remote, name string) error {
	const scratch = "refs/fault-soak/next"
	branch := "refs/heads/" + r.Branch
	doc := fmt.Sprintf(vpcDoc, name)
	path := faultFGD + "/raw/" + name + ".yaml"
	var last error
	for range 5 {
		head, err := gittest.RunGit(r.Dir(), "rev-parse", "--verify", branch)
		if err != nil {
			return fmt.Errorf("push %s to %s: %w", name, r.Name, err)
		}
		var in bytes.Buffer
		fmt.Fprintf(&in, "commit %s\ncommitter %s <%s> %d +0000\ndata %d\n%s\nfrom %s\nM 100644 inline %s\ndata %d\n%s\n",
			scratch, gittest.AuthorName, gittest.AuthorEmail, time.Now().Unix(), len("add "+name), "add "+name, head, path, len(doc), doc)
		cmd := exec.Command("git", "fast-import", "--quiet", "--force")
		cmd.Dir, cmd.Env, cmd.Stdin = r.Dir(), gittest.Env(r.Root), &in
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("push %s to %s: git fast-import: %v: %s", name, r.Name, err, out)
		}
		next, err := gittest.RunGit(r.Dir(), "rev-parse", "--verify", scratch)
		if err != nil {
			return fmt.Errorf("push %s to %s: %w", name, r.Name, err)
		}
		// Fails when fgd pushed meanwhile: then again on its commit.
		if _, last = gittest.RunGit(r.Dir(), "update-ref", "-m", "fault soak", branch, next, head); last == nil {
			return nil
		}
	}
	return fmt.Errorf("push %s to %s: the branch moved under 5 attempts in a row: %w", name, r.Name, last)
}

// faultRemoteLog is the remote branch's history, oldest first, as
// faultLatencies reads it: "@<commit time> <author>" then the paths below
// raw/ and managed/vpcs/ the commit touched.
func faultRemoteLog(r *gittest.Remote) (string, error) {
	return gittest.RunGit(r.Dir(), "log", "--reverse", "--format=@%ct %an", "--name-only", "refs/heads/"+r.Branch,
		"--", faultFGD+"/raw", faultFGD+"/managed/vpcs")
}

// faultRemotePaths lists the remote head's files below the FGD.
func faultRemotePaths(r *gittest.Remote) ([]string, error) {
	out, err := gittest.RunGit(r.Dir(), "ls-tree", "-r", "--name-only", "refs/heads/"+r.Branch, "--", faultFGD+"/")
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// faultSinkPaths lists the files of a directory sink's live tree, relative
// to it ("vpcs/x.yaml"); none when nothing was published yet.
func faultSinkPaths(root string) ([]string, error) {
	live, err := filepath.EvalSymlinks(filepath.Join(root, "current"))
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(live, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(live, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}
