package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	fgdgit "github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// A killWorld is the setting of the kill -9 soak: two dir fabrics and two
// git fabrics (one over file://, one over smart HTTP with basic auth), each
// with a pruning directory sink, d1 also with an exec sink that appends
// what it receives to a file; the config of one daemon serving them; and
// the inputs given so far. The soak and its undisturbed reference run are
// two worlds built alike.
type killWorld struct {
	dir      string // config.yaml, state/, the dir FGDs, pub/, remotes/
	cfg      string
	state    string
	received string // what the exec sink received
	password string // the HTTP remote's password file
	port     int    // the last daemon's
	fabrics  []*killFabric
	// temps maps each temp file seen after a kill (relative to dir) to the
	// cycle that first saw it.
	temps map[string]int
}

// killFabric is one fabric of a killWorld.
type killFabric struct {
	name   string
	root   string          // dir source: the FGD
	remote *gittest.Remote // git source
	path   string          // git source: the FGD's path in the repository
	url    string          // git source: the URL fgd uses
	hook   string          // git source: the webhook secret's file
	pub    string          // the directory sink's path
	exec   bool            // has the exec sink too
	inputs []killInput     // every input given so far, in order
	pushes []string        // the test's commits of inputs to the remote
	// whole remembers the FGD's files already found whole, pubChecked the
	// published tree.
	whole      map[string]string
	pubChecked string
	blobs      map[string]string // the remote's blobs read so far: hash → content
	// commits is the remote branch's history as last read, newest first;
	// head its newest commit.
	commits []killCommit
	head    string
}

// Settings of the soak's daemon: syncs should be in flight most of the
// time, so debounce is short; git polls as often as the config allows
// (1 s), and the test wakes git fabrics with the generic webhook right
// after it pushes; rescans never happen during a cycle.
const (
	killAuthor   = "fgd-soak"
	killUser     = "fgd"
	killPassword = "soak-pw-1"
	killBranch   = "main"
)

// killNewWorld builds a world in dir whose FGDs and remotes start with
// inputs (fabric name → files in raw/).
func killNewWorld(t *testing.T, dir string, inputs map[string][]killInput) *killWorld {
	t.Helper()
	w := &killWorld{dir: dir, cfg: filepath.Join(dir, "config.yaml"), state: filepath.Join(dir, "state"),
		received: filepath.Join(dir, "exec-received.yaml"), temps: map[string]int{}}
	remotes := filepath.Join(dir, "remotes")
	if err := os.MkdirAll(remotes, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := gittest.NewHTTPServer(t, remotes, killUser, killPassword)
	w.password = gittest.WriteSecret(t, dir, "g2.password", killPassword)
	for _, name := range []string{"d1", "d2", "g1", "g2"} {
		f := &killFabric{name: name, pub: filepath.Join(dir, "pub", name), exec: name == "d1",
			whole: map[string]string{}, blobs: map[string]string{}}
		if name[0] == 'd' {
			f.root = filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Join(f.root, "raw"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, in := range inputs[name] {
				if err := os.WriteFile(filepath.Join(f.root, "raw", in.Name), []byte(in.Body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			f.path = "fabrics/" + name
			seed := map[string]string{f.path + "/raw/.gitkeep": ""}
			for _, in := range inputs[name] {
				seed[f.path+"/raw/"+in.Name] = in.Body
			}
			f.remote = gittest.NewRemote(t, remotes, name+".git", killBranch, seed)
			f.url = f.remote.FileURL()
			if name == "g2" {
				f.url = srv.URL(name + ".git")
			}
			f.hook = gittest.WriteSecret(t, dir, name+".hook", "hook-secret-"+name)
		}
		f.inputs = append(f.inputs, inputs[name]...)
		w.fabrics = append(w.fabrics, f)
	}
	return w
}

// start starts the daemon on the world, on a port free now: other tests of
// the machine may have taken the last one meanwhile (listen takes effect
// at a restart, and every start is one).
func (w *killWorld) start(t *testing.T, bin string) *daemontest.Daemon {
	t.Helper()
	w.port = daemontest.FreePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:%d\nstate_dir: state\nshutdown_timeout: 20s\nfabrics:\n", w.port)
	for _, f := range w.fabrics {
		fmt.Fprintf(&b, "  - name: %s\n    source:\n", f.name)
		if f.remote == nil {
			fmt.Fprintf(&b, "      dir: {path: %s, debounce: 30ms, rescan_interval: 1h}\n", f.name)
		} else {
			fmt.Fprintf(&b, "      git:\n        url: %s\n        branch: %s\n        path: %s\n        interval: 1s\n        timeout: 20s\n", f.url, killBranch, f.path)
			fmt.Fprintf(&b, "        webhook_secret_file: %s\n        author: {name: %s, email: soak@example.invalid}\n", f.hook, killAuthor)
			if f.name == "g2" {
				fmt.Fprintf(&b, "        auth: {username: %s, password_file: %s}\n", killUser, w.password)
			}
		}
		fmt.Fprintf(&b, "    sinks:\n      - directory: {path: pub/%s, prune: true}\n", f.name)
		if f.exec {
			fmt.Fprintf(&b, "      - exec: {command: [sh, -c, 'cat >> %s'], timeout: 20s}\n", w.received)
		}
	}
	if err := os.WriteFile(w.cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return daemontest.Start(t, bin, w.dir, w.cfg, w.port)
}

// drop gives a fabric new inputs: files renamed into raw/ (never seen half
// written), or one commit pushed to the remote.
func (w *killWorld) drop(t *testing.T, f *killFabric, inputs []killInput) {
	t.Helper()
	if len(inputs) == 0 {
		return
	}
	if f.remote == nil {
		for _, in := range inputs {
			tmp := filepath.Join(f.root, "raw", "."+in.Name+".part")
			if err := os.WriteFile(tmp, []byte(in.Body), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(f.root, "raw", in.Name)); err != nil {
				t.Fatal(err)
			}
			f.inputs = append(f.inputs, in)
		}
		return
	}
	files := map[string]string{}
	for _, in := range inputs {
		files[f.path+"/raw/"+in.Name] = in.Body
	}
	h, err := killPush(f.remote, files, fmt.Sprintf("add %d inputs of cycle %d", len(inputs), inputs[0].Cycle))
	if err != nil {
		t.Fatalf("push inputs to %s: %v", f.name, err)
	}
	f.pushes = append(f.pushes, h)
	f.inputs = append(f.inputs, inputs...)
}

// wake asks the daemon to poll a git fabric's remote now (the generic
// webhook); a daemon not listening yet is fine: it syncs at start anyway.
func (w *killWorld) wake(d *daemontest.Daemon, f *killFabric) {
	secret, err := os.ReadFile(f.hook)
	if err != nil {
		return
	}
	req, _ := http.NewRequest(http.MethodPost, d.Base+"/hooks/generic/"+f.name, nil)
	req.Header.Set("Authorization", "Bearer "+string(secret))
	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// fgdFiles is the fabric's FGD as it stands: the directory of a dir
// source, the remote branch's head below the FGD's path for a git source
// (what fgd promised: its clone is a cache reset by every sync).
func (w *killWorld) fgdFiles(f *killFabric) (killFiles, error) {
	if f.remote == nil {
		return killReadTree(f.root)
	}
	head, err := gittest.RunGit(f.remote.Dir(), "rev-parse", "refs/heads/"+killBranch)
	if err != nil {
		return nil, err
	}
	return killRemoteFiles(f.remote.Dir(), head, f.path, f.blobs)
}

// findTemps lists the temp files of the world (relative to its dir) in
// the FGDs, the published trees and the state dir, with the fabric each
// belongs to ("" when none).
func (w *killWorld) findTemps() (map[string]string, error) {
	owners := map[string]string{}
	var roots []string
	for _, f := range w.fabrics {
		if f.root != "" {
			owners[f.root] = f.name
			roots = append(roots, f.root)
		} else {
			owners[fgdgit.DirFor(w.state, f.url, killBranch)] = f.name
		}
		owners[f.pub] = f.name
		owners[filepath.Join(w.state, "inventory", f.name)] = f.name
		roots = append(roots, f.pub)
	}
	roots = append(roots, w.state)
	found := map[string]string{}
	for _, root := range roots {
		list, err := killFindTemps(root)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, rel := range list {
			p := filepath.Join(root, filepath.FromSlash(rel))
			owner := ""
			for dir, name := range owners {
				if strings.HasPrefix(p, dir+string(filepath.Separator)) {
					owner = name
				}
			}
			r, _ := filepath.Rel(w.dir, p)
			found[r] = owner
		}
	}
	return found, nil
}

// checkTemps reports the temp files a kill of an earlier cycle left that
// are still there although a sync of their fabric completed in this one:
// fgd removes what a crash left (ingestion, the directory sink and the
// clone's reset each clean their own) when it next works there. It records
// the temp files seen now.
func (w *killWorld) checkTemps(cycle int, completed map[string]int) ([]string, int, error) {
	found, err := w.findTemps()
	if err != nil {
		return nil, 0, err
	}
	var out []string
	fresh := 0
	for p, owner := range found {
		first, seen := w.temps[p]
		switch {
		case !seen:
			w.temps[p] = cycle
			fresh++
		case owner == "" || completed[owner] > 0:
			out = append(out, fmt.Sprintf("temp file %s, left by the kill of cycle %d, is still there after %d completed syncs of fabric %q in cycle %d",
				p, first, completed[owner], owner, cycle))
		}
	}
	for p := range w.temps {
		if _, ok := found[p]; !ok {
			delete(w.temps, p)
		}
	}
	return out, fresh, nil
}

// killCompleted counts the syncs the daemon's log says completed, by fabric.
func killCompleted(log string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `"sync completed`) {
			continue
		}
		var e struct {
			Msg, Fabric, State string
		}
		if json.Unmarshal([]byte(line), &e) == nil && strings.HasPrefix(e.Msg, "sync completed") && e.State == "completed" {
			out[e.Fabric]++
		}
	}
	return out
}

// killUnpushed reports whether the daemon's log ends with a commit of fgd
// in a clone that it had not finished pushing (the kill landed between the
// two: on the riskiest step for duplicate commits).
func killUnpushed(log string) bool {
	open := map[string]bool{} // remote → committed, not pushed
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `"msg":"committed"`) && !strings.Contains(line, `"msg":"pushed"`) {
			continue
		}
		var e struct{ Msg, Remote string }
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		open[e.Remote] = e.Msg == "committed"
	}
	for _, o := range open {
		if o {
			return true
		}
	}
	return false
}

// check runs every invariant on the world as the last daemon left it and
// returns the problems found.
func (w *killWorld) check(completed map[string]int, cycle int) ([]string, int, error) {
	out, fresh, err := w.checkTemps(cycle, completed)
	if err != nil {
		return nil, 0, err
	}
	note := func(f *killFabric, what string, list []string) {
		for _, p := range list {
			out = append(out, fmt.Sprintf("fabric %s: %s: %s", f.name, what, p))
		}
	}
	for _, f := range w.fabrics {
		files, err := w.fgdFiles(f)
		if err != nil {
			return nil, 0, fmt.Errorf("read the FGD of %s: %w", f.name, err)
		}
		note(f, "FGD file not whole", killCheckWhole(files, killLayoutFGD, f.whole))
		note(f, "input lost", killCheckDocs(f.inputs, files))
		// A published tree never changes once current points to it: one
		// already found whole is not read again.
		target, err := os.Readlink(filepath.Join(f.pub, "current"))
		if err != nil && !os.IsNotExist(err) {
			return nil, 0, fmt.Errorf("read the current link of %s: %w", f.name, err)
		}
		if err == nil && target != f.pubChecked {
			pub, err := killReadTree(filepath.Join(f.pub, "current"))
			if err != nil {
				return nil, 0, fmt.Errorf("read the published tree of %s: %w", f.name, err)
			}
			problems := killCheckWhole(pub, killLayoutPublished, nil)
			note(f, "published file not whole", problems)
			if len(problems) == 0 {
				f.pubChecked = target
			}
		}
		if f.remote != nil {
			commits, err := f.history()
			if err != nil {
				return nil, 0, fmt.Errorf("read the history of %s: %w", f.name, err)
			}
			problems, _ := killCheckHistory(commits, killAuthor, f.path, len(f.pushes)+1, f.pushes)
			note(f, "remote history", problems)
		}
	}
	inv, err := killReadTree(filepath.Join(w.state, "inventory"))
	if err != nil && !os.IsNotExist(err) {
		return nil, 0, err
	}
	for rel, body := range inv {
		if msg := killCheckWhole(killFiles{"inventory/" + rel: body}, killLayoutState, nil); msg != nil {
			out = append(out, "state dir: "+strings.Join(msg, "; "))
		}
	}
	return out, fresh, nil
}

// notConverged says what still keeps the world from its end state ("" when
// nothing): a file not yet handled in raw/, a valid document without its
// managed file, a published tree that is not exactly managed/, a resource
// the exec sink never received, a sync still running.
func (w *killWorld) notConverged(d *daemontest.Daemon) string {
	// Cheap first: a file still in raw/ (the listing alone).
	for _, f := range w.fabrics {
		var names []string
		if f.remote == nil {
			entries, _ := os.ReadDir(filepath.Join(f.root, "raw"))
			for _, e := range entries {
				names = append(names, e.Name())
			}
		} else {
			out, err := gittest.RunGit(f.remote.Dir(), "ls-tree", "--name-only", "refs/heads/"+killBranch, f.path+"/raw/")
			if err != nil {
				return err.Error()
			}
			for _, p := range strings.Fields(out) {
				names = append(names, filepath.Base(p))
			}
		}
		for _, n := range names {
			if n != ".gitkeep" {
				return fmt.Sprintf("fabric %s: raw/%s not handled yet", f.name, n)
			}
		}
	}
	received, _ := os.ReadFile(w.received)
	for _, f := range w.fabrics {
		files, err := w.fgdFiles(f)
		if err != nil {
			return err.Error()
		}
		for rel := range files {
			if strings.HasPrefix(rel, "raw/") && rel != "raw/.gitkeep" {
				return fmt.Sprintf("fabric %s: %s not handled yet", f.name, rel)
			}
		}
		for _, in := range f.inputs {
			for _, doc := range in.Docs {
				if _, ok := files[doc.managedPath()]; doc.Valid && !ok {
					return fmt.Sprintf("fabric %s: %s missing", f.name, doc.managedPath())
				}
			}
		}
		want := killFiles{}
		for rel, body := range files {
			if strings.HasPrefix(rel, "managed/") && !strings.HasSuffix(rel, "/.gitkeep") {
				want[strings.TrimPrefix(rel, "managed/")] = body
				if f.exec && !bytes.Contains(received, []byte(body)) {
					return fmt.Sprintf("fabric %s: the exec sink never received %s", f.name, rel)
				}
			}
		}
		pub, err := killReadTree(filepath.Join(f.pub, "current"))
		if err != nil {
			return fmt.Sprintf("fabric %s: published tree: %v", f.name, err)
		}
		if diff := killDiff(want, killNormalize(pub)); len(diff) > 0 {
			return fmt.Sprintf("fabric %s: the published tree is not managed/ yet: %s", f.name, killFirst(diff, 3))
		}
	}
	if n := d.Metric("fgd_active_syncs"); n != 0 {
		return fmt.Sprintf("fgd_active_syncs is %v", n)
	}
	return ""
}

// converge waits, with a generous deadline, until the daemon brought the
// world to its end state.
func (w *killWorld) converge(t *testing.T, d *daemontest.Daemon, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	began := time.Now()
	defer func() { t.Logf("converged in %s", time.Since(began).Round(time.Millisecond)) }()
	for {
		why := w.notConverged(d)
		if why == "" {
			return
		}
		if d.Exited() {
			t.Fatalf("fgd exited before the world converged: %s", why)
		}
		select {
		case <-deadline.C:
			t.Fatalf("not converged after %s: %s", timeout, why)
		case <-tick.C:
		}
	}
}
