package reliability

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/disktest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The fabrics of the disk-full test: a dir source and a git source (file://
// remote on the normal disk), each with a directory sink.
const (
	diskLab = "lab"
	diskGit = "dc1"
)

// TestDiskFull runs the real daemon with everything it writes on a small
// tmpfs — state_dir (audit log, sink inventories, the git fabric's clone),
// the dir fabric's FGD and both fabrics' published trees — fills it, drops
// work into both fabrics, and checks that the syncs fail without a crash,
// with an error naming "no space left on device" and the path and a
// remediation, in the API and in the log; that nothing is half-written; and
// that once the filler is gone both fabrics finish the work without a
// restart. Short: three rounds, filled to the last byte, then leaving two
// of 1, 2, 3, 4, 5 or 6 pages free. Full: two passes of seven rounds, each
// filling to the last byte, then leaving each of those free in a seeded
// order, so that the space runs out at other writes (managed files, archive,
// sidecars, the archive log, the published tree, inventories, git objects
// and packs). FGD_RELIABILITY_DISK_MOUNT=unshare tests the unprivileged path
// (unshare -Urm) even as root.
func TestDiskFull(t *testing.T) {
	scale := reliabilityScale(t)
	seed := reliabilitySeedFor(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	// Pages left free in each round: a pass fills to the last byte first,
	// then leaves each of the others free in a seeded order. With at most 6
	// pages the dir fabric's sync cannot fit: its managed files, the file
	// sent to unmanaged/ with its sidecar, the archive and the published
	// copies need more. (8 can be enough: the directory sink hard-links the
	// files a sync did not change.)
	pass := func() []int64 {
		more := []int64{1, 2, 3, 4, 5, 6}
		rng.Shuffle(len(more), func(i, j int) { more[i], more[j] = more[j], more[i] })
		return append([]int64{0}, more...)
	}
	reserves := pass()[:3]
	if scale == reliabilityFull {
		reserves = append(pass(), pass()...)
	}
	start := time.Now()
	w := diskNewWorld(t, seed)
	t.Logf("small filesystem by %s; daemon up in %s", w.fs.how, time.Since(start).Round(time.Millisecond))

	w.dropLab(t, diskNewVPC("lab-base-a"), diskNewVPC("lab-base-b"), diskNewVPC("lab-base-c"))
	w.converge(t, "the first syncs")
	for r, pages := range reserves {
		t0 := time.Now()
		w.round(t, r, pages)
		t.Logf("round %d (%d pages left free) took %s", r, pages, time.Since(t0).Round(time.Millisecond))
	}
	if err := w.d.Stop(20 * time.Second); err != nil {
		t.Errorf("fgd did not stop cleanly: %v", err)
	}
	t.Logf("%d rounds in %s", len(reserves), time.Since(start).Round(time.Millisecond))
}

// diskWorld is the daemon, its small filesystem, and what the test dropped.
type diskWorld struct {
	fs     *diskSmallFS
	d      *daemontest.Daemon
	token  string
	remote *gittest.Remote
	reg    *resource.Registry
	seed   int64
	cycle  int
	pages  int64
	inputs map[string][]diskInput       // fabric → every input so far
	want   map[string]map[string][]byte // fabric → managed files of an undisturbed ingestion
	pub    map[string]map[string]string // fabric → the published files after the last convergence
}

func diskNewWorld(t *testing.T, seed int64) *diskWorld {
	bin := daemontest.Build(t)
	base := t.TempDir()
	small := filepath.Join(base, "small")
	if err := os.Mkdir(small, 0o755); err != nil {
		t.Fatal(err)
	}
	sfs, runBin := diskMakeSmallFS(t, small, 4096, bin, diskLab)
	reg, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	w := &diskWorld{fs: sfs, token: "disk-full-operator-token", reg: reg, seed: seed, cycle: -1,
		inputs: map[string][]diskInput{}, want: map[string]map[string][]byte{}, pub: map[string]map[string]string{}}
	seedFiles := map[string]string{}
	for _, in := range []diskInput{diskNewVPC("dc1-base-a"), diskNewVPC("dc1-base-b")} {
		seedFiles["dc1/raw/"+in.name] = string(in.body)
		w.addInputs(t, diskGit, in)
	}
	w.remote = gittest.NewRemote(t, base, "fabric.git", "main", seedFiles)
	tokenFile := gittest.WriteSecret(t, base, "api-token", w.token)
	if sfs.how == "mount" {
		if err := os.Mkdir(sfs.path(diskLab), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := daemontest.FreePort(t)
	cfg := filepath.Join(base, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: %[2]s/state
shutdown_timeout: 10s
api: {token_file: %[3]s}
fabrics:
  - name: %[4]s
    source:
      dir: {path: %[2]s/%[4]s, debounce: 50ms, rescan_interval: 1s}
    sinks:
      - directory: {path: %[2]s/pub-%[4]s}
  - name: %[5]s
    source:
      git: {url: "%[6]s", branch: main, path: dc1, interval: 1s}
    sinks:
      - directory: {path: %[2]s/pub-%[5]s}
`, port, sfs.Dir, tokenFile, diskLab, diskGit, w.remote.FileURL())
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	w.d = daemontest.Start(t, runBin, base, cfg, port)
	t.Cleanup(func() { diskKeepLog(t, w.d.Log(), seed) })
	sfs.attach(t, w.d)
	w.d.WaitFor("/readyz", 30*time.Second, func() bool { c, _ := w.d.Get("/readyz"); return c == 200 })
	if err := os.Mkdir(sfs.path("incoming"), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// root is the FGD of a fabric as the test reaches it ("" while the git
// fabric's clone does not exist yet).
func (w *diskWorld) root(fabric string) string {
	if fabric == diskLab {
		return w.fs.path(diskLab)
	}
	m, _ := filepath.Glob(w.fs.path("state", "git", "*"))
	if len(m) != 1 {
		return ""
	}
	return filepath.Join(m[0], "dc1")
}

func (w *diskWorld) addInputs(t *testing.T, fabric string, in ...diskInput) {
	w.inputs[fabric] = append(w.inputs[fabric], in...)
	w.want[fabric] = diskExpectManaged(t, w.reg, fabric, w.inputs[fabric])
}

// stage writes inputs to the small filesystem outside the FGD, while there
// is room; drop then renames them into raw/, which needs no space, even on a
// full disk.
func (w *diskWorld) stage(t *testing.T, in ...diskInput) {
	for _, i := range in {
		if err := os.WriteFile(w.fs.path("incoming", i.name), i.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// drop moves staged inputs into the dir fabric's raw/ (fsnotify sees them).
func (w *diskWorld) drop(t *testing.T, in ...diskInput) {
	for _, i := range in {
		if err := os.Rename(w.fs.path("incoming", i.name), w.fs.path(diskLab, "raw", i.name)); err != nil {
			t.Fatal(err)
		}
	}
	w.addInputs(t, diskLab, in...)
}

// dropLab stages and drops inputs at once.
func (w *diskWorld) dropLab(t *testing.T, in ...diskInput) {
	if err := os.MkdirAll(w.fs.path(diskLab, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.stage(t, in...)
	w.drop(t, in...)
}

// round fills the disk leaving pages free, drops work into both fabrics,
// checks the failure, frees the space and checks the recovery.
func (w *diskWorld) round(t *testing.T, r int, pages int64) {
	w.cycle, w.pages = r, pages
	// Two resources and a file that goes whole to unmanaged/ (with a
	// sidecar): every kind of write of an ingestion.
	lab := []diskInput{diskNewVPC(fmt.Sprintf("lab-r%d-a", r)), diskNewVPC(fmt.Sprintf("lab-r%d-b", r)), diskNewGateway(fmt.Sprintf("gw-r%d", r))}
	dc := diskNewVPC(fmt.Sprintf("dc1-r%d", r))
	w.stage(t, lab...)
	before := map[string]string{}
	for _, f := range []string{diskLab, diskGit} {
		v, err := diskFabric(w.d, f)
		if err != nil {
			t.Fatal(err)
		}
		before[f] = v.LastSyncID
	}
	if err := disktest.Fill(w.fs.path("filler"), pages*diskPage); err != nil {
		t.Fatal(err)
	}
	w.drop(t, lab...)
	w.remote.Change(t, "add "+dc.name, map[string]string{"dc1/raw/" + dc.name: string(dc.body)}, nil)
	w.addInputs(t, diskGit, dc)

	outcome := map[string]httpapi.FabricView{}
	w.await(t, "a sync of each fabric over the new work", 60*time.Second, func() []string {
		var out []string
		for _, f := range []string{diskLab, diskGit} {
			if _, ok := outcome[f]; ok {
				continue
			}
			v, err := diskFabric(w.d, f)
			switch {
			case err != nil:
				out = append(out, err.Error())
			case v.LastSyncID == before[f] || v.State == "syncing":
				out = append(out, f+": no sync over the new work has ended yet")
			case v.State == "failed" || len(w.fabricProblems(f)) == 0:
				outcome[f] = v
			default:
				out = append(out, fmt.Sprintf("%s: %s, work still pending", f, v.State))
			}
		}
		return out
	})
	w.checkFull(t, outcome)

	if err := os.Remove(w.fs.path("filler")); err != nil {
		t.Fatal(err)
	}
	w.recover(t, outcome, lab)
}

// checkFull checks the daemon while the disk is full.
func (w *diskWorld) checkFull(t *testing.T, outcome map[string]httpapi.FabricView) {
	t.Helper()
	if code, body := w.d.Get("/healthz"); code != 200 || w.d.Exited() {
		t.Fatalf("%s: /healthz = %d %s (exited: %v)", w.where(), code, body, w.d.Exited())
	}
	for _, f := range []string{diskLab, diskGit} {
		v := outcome[f]
		if v.State != "failed" {
			if f == diskLab || w.pages == 0 {
				t.Errorf("%s: %s's sync completed on a full disk: this fill point tested nothing", w.where(), f)
			} else {
				t.Logf("%s: %s's sync fitted in the space left", w.where(), f)
			}
			continue
		}
		t.Logf("%s: %s failed as it should; last_error: %s\n  remediation: %s", w.where(), f, v.LastError, v.Remediation)
		if !strings.Contains(v.LastError, "no space left on device") || !strings.Contains(v.LastError, w.fs.Dir) {
			t.Errorf("%s: %s's last_error names not both ENOSPC and a path on the full filesystem %s: %s", w.where(), f, w.fs.Dir, v.LastError)
		}
		for _, want := range []string{"free space", "fgd sync " + f} {
			if !strings.Contains(v.Remediation, want) {
				t.Errorf("%s: %s's remediation does not say %q: %q", w.where(), f, want, v.Remediation)
			}
		}
		w.await(t, f+"'s failure in the log", 10*time.Second, func() []string {
			for _, l := range diskFailedSyncs(w.d.Log(), f) {
				if l.Err == v.LastError && l.Remediation == v.Remediation {
					return nil
				}
			}
			return []string{"no \"sync failed\" log line with the API's error and remediation"}
		})
	}
	if p := diskSettled(w.fullProblems); len(p) > 0 {
		t.Errorf("%s: half-written or lost while the disk is full:\n  %s", w.where(), strings.Join(p, "\n  "))
	}
}

// fullProblems is what must hold at any moment, full disk or not.
func (w *diskWorld) fullProblems() []string {
	out := diskCheckTree(w.fs.path())
	for _, f := range []string{diskLab, diskGit} {
		root := w.root(f)
		if root == "" {
			out = append(out, f+": no FGD")
			continue
		}
		if f == diskLab { // the git fabric's inputs live in the remote
			out = append(out, diskCheckInputs(root, w.inputs[f], false)...)
		}
		out = append(out, diskCheckManaged(root, w.want[f], false)...)
		files, probs := diskCheckPublished(w.fs.path("pub-" + f))
		out = append(out, probs...)
		if probs == nil && !maps.Equal(files, w.pub[f]) {
			// A sync may fail after its sink published (saving the inventory
			// failed): then current is the new tree, whole.
			managed, _ := diskManagedFiles(root)
			if len(diskMirrorProblems(files, managed)) > 0 {
				out = append(out, "pub-"+f+"/current: neither the tree published before nor the managed set")
			}
		}
	}
	return out
}

// recover waits for both fabrics to finish the round's work once space
// returned. A dir fabric whose inputs are still in raw/ must recover by
// itself (its rescan finds them); otherwise the test does what the
// remediation says, fgd sync, since a failed sync is not repeated on a timer.
func (w *diskWorld) recover(t *testing.T, outcome map[string]httpapi.FabricView, lab []diskInput) {
	t.Helper()
	manual := map[string]bool{}
	for f, v := range outcome {
		if v.State != "failed" {
			continue
		}
		if f == diskLab && len(diskCheckInputs(w.root(f), lab, true)) > 0 {
			continue // some input still in raw/: the next rescan takes it
		}
		manual[f] = true
		if err := diskPostSync(w.d, w.token, f); err != nil {
			t.Fatalf("%s: %v", w.where(), err)
		}
	}
	t0 := time.Now()
	w.converge(t, "recovery")
	for f, v := range outcome {
		if v.State != "failed" {
			continue
		}
		now, err := diskFabric(w.d, f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := diskSync(w.d, now.LastSyncID)
		if err != nil {
			t.Fatal(err)
		}
		how := "by itself"
		if manual[f] {
			how = "after fgd sync (the remediation)"
		} else if strings.Contains(s.Trigger, "api") || strings.Contains(s.Trigger, "manual") {
			t.Errorf("%s: %s recovered through a manual sync nobody asked for", w.where(), f)
		}
		t.Logf("%s: %s recovered %s in %s (trigger %q)", w.where(), f, how, time.Since(t0).Round(time.Millisecond), s.Trigger)
	}
}

// converge waits until both fabrics hold all the work, whole, published and
// (git) pushed, with every circuit closed; then the clone must pass git fsck
// and the published trees become the new baseline.
func (w *diskWorld) converge(t *testing.T, what string) {
	t.Helper()
	w.await(t, what, 90*time.Second, func() []string {
		out := append(w.fabricProblems(diskLab), w.fabricProblems(diskGit)...)
		return append(out, diskCheckTree(w.fs.path())...)
	})
	// On a copy: git does not follow the clone's path into the daemon's
	// mount namespace (unshare mode).
	clone := filepath.Join(t.TempDir(), "clone")
	if err := diskCopyTree(filepath.Join(filepath.Dir(w.root(diskGit)), ".git"), filepath.Join(clone, ".git")); err != nil {
		t.Fatalf("%s: copy fgd's clone: %v", w.where(), err)
	}
	if out, err := gittest.RunGit(clone, "fsck", "--no-progress", "--no-dangling"); err != nil {
		t.Errorf("%s: git fsck of fgd's clone: %v\n%s", w.where(), err, out)
	}
	for _, f := range []string{diskLab, diskGit} {
		w.pub[f], _ = diskCheckPublished(w.fs.path("pub-" + f))
	}
}

// fabricProblems says what is missing before a fabric holds all the work.
func (w *diskWorld) fabricProblems(f string) []string {
	v, err := diskFabric(w.d, f)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	if v.State != "idle" {
		out = append(out, fmt.Sprintf("%s: state %s %s", f, v.State, v.LastError))
	}
	for target, s := range v.Circuits {
		if s != "closed" {
			out = append(out, fmt.Sprintf("%s: circuit %s is %s", f, target, s))
		}
	}
	if n := len(w.want[f]); v.Resources["VPC"] != n {
		out = append(out, fmt.Sprintf("%s: %d VPCs in the API, want %d", f, v.Resources["VPC"], n))
	}
	root := w.root(f)
	if root == "" {
		return append(out, f+": no clone yet")
	}
	out = append(out, diskCheckInputs(root, w.inputs[f], true)...)
	out = append(out, diskCheckManaged(root, w.want[f], true)...)
	files, probs := diskCheckPublished(w.fs.path("pub-" + f))
	managed, _ := diskManagedFiles(root)
	out = append(append(out, probs...), diskMirrorProblems(files, managed)...)
	if f == diskGit {
		out = append(out, w.remoteProblems()...)
	}
	return out
}

// remoteProblems checks that the remote branch holds the git fabric's work:
// every input archived and gone from raw/, its managed file as expected.
func (w *diskWorld) remoteProblems() []string {
	ls, err := gittest.RunGit(w.remote.Dir(), "ls-tree", "-r", "main")
	if err != nil {
		return []string{err.Error()}
	}
	blobs := map[string]string{}
	for _, l := range strings.Split(ls, "\n") {
		if meta, path, ok := strings.Cut(l, "\t"); ok {
			if f := strings.Fields(meta); len(f) == 3 {
				blobs[path] = f[2]
			}
		}
	}
	var out []string
	for _, in := range w.inputs[diskGit] {
		if _, ok := blobs["dc1/raw/"+in.name]; ok {
			out = append(out, "remote: dc1/raw/"+in.name+" not ingested")
		}
		if blobs["dc1/.hnp/archive/"+in.name] != diskBlob(in.body) {
			out = append(out, "remote: dc1/.hnp/archive/"+in.name+" missing or not the original")
		}
		if blobs["dc1/managed/"+in.managed] != diskBlob(w.want[diskGit][in.managed]) {
			out = append(out, "remote: dc1/managed/"+in.managed+" missing or not as expected")
		}
	}
	return out
}

// diskBlob is git's object name of a blob holding b.
func diskBlob(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// await polls cond until it reports nothing, failing the test with what is
// left after timeout.
func (w *diskWorld) await(t *testing.T, what string, timeout time.Duration, cond func() []string) {
	t.Helper()
	left := awaitNone(t, w.d, w.where()+": "+what, 200*time.Millisecond, timeout, cond)
	if len(left) == 0 {
		return
	}
	if len(left) > 20 {
		left = append(left[:20], fmt.Sprintf("… and %d more", len(left)-20))
	}
	t.Fatalf("%s: %s not reached within %s:\n  %s", w.where(), what, timeout, strings.Join(left, "\n  "))
}

// where says which round a failure is in, and how to replay it.
func (w *diskWorld) where() string {
	if w.cycle < 0 {
		return fmt.Sprintf("before the first round (seed %d)", w.seed)
	}
	return fmt.Sprintf("round %d (%d pages left free, seed %d)", w.cycle, w.pages, w.seed)
}
