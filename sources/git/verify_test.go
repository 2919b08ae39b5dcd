package git_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sinks/directory"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// signedFabric is a git fabric with a directory sink and a store, on a
// remote whose history starts with an unsigned seed.
type signedFabric struct {
	t      *testing.T
	d      *daemon
	remote *gittest.Remote
	store  *state.Store
	out    string // the directory sink
}

func newSignedFabric(t *testing.T) *signedFabric {
	t.Helper()
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	return &signedFabric{
		t:      t,
		d:      newDaemon(t, reconciler.Options{Store: store, StateDir: t.TempDir()}),
		remote: gittest.NewRemote(t, t.TempDir(), "fabric.git", "main", map[string]string{"README.md": "fabric repository\n"}),
		store:  store,
		out:    t.TempDir(),
	}
}

// start runs fabric dc1 at path fgd of the remote with src's verify, push
// and author settings.
func (s *signedFabric) start(src config.GitSource) {
	s.t.Helper()
	src.URL, src.Branch, src.Path = s.remote.FileURL(), "main", "fgd"
	src.Interval, src.Timeout = 100*time.Millisecond, 10*time.Second
	src.Author.Name, src.Author.Email = "fgd", "fgd@example.invalid"
	hash := "dc1"
	if src.Verify != nil {
		hash += "-verify-" + src.Verify.Mode
	}
	spec := reconciler.FabricSpec{Name: "dc1", Hash: hash}
	if err := fillGitSpec(s.d.hub, &spec, &src); err != nil {
		s.t.Fatal(err)
	}
	p, err := directory.New(directory.Options{Path: s.out, Prune: true})
	if err != nil {
		s.t.Fatal(err)
	}
	spec.Sinks = []reconciler.SinkSpec{{Name: "directory-0", Sink: directory.NewSink(p), Prune: true}}
	s.d.apply(spec)
}

func (s *signedFabric) published(name string) bool {
	_, err := os.Stat(filepath.Join(s.out, "current", "vpcs", name+".yaml"))
	return err == nil
}

// settled waits for a finished sync of revision-or-later state that cond
// accepts, and returns it.
func (s *signedFabric) settled(what string, cond func(st *reconciler.SyncStatus) bool) *reconciler.SyncStatus {
	s.t.Helper()
	var last *reconciler.SyncStatus
	defer func() {
		if s.t.Failed() && last != nil {
			s.t.Logf("last sync: %s %s: %s (%s)", last.State, last.Revision, last.Error, last.Remediation)
		}
	}()
	patiently(s.t, what, func() bool {
		f := s.d.fabric("dc1")
		last = f.Last
		return !f.Syncing && last != nil && cond(last)
	})
	return last
}

// refused waits for the sync that refuses commit and checks that it
// stalled with a remediation naming the commit, what signed it and the
// trusted keys, that nothing of it was published, and returns its status.
func (s *signedFabric) refused(commit, signer, notPublished, stillPublished string) *reconciler.SyncStatus {
	s.t.Helper()
	st := s.settled("the refusal of "+commit, func(st *reconciler.SyncStatus) bool {
		return st.State == reconciler.StateFailed && strings.Contains(st.Remediation, commit)
	})
	if st.ErrorClass != "stalled" || !strings.Contains(st.Remediation, signer) || !strings.Contains(st.Remediation, "trusted keys (") {
		s.t.Errorf("refusal of %s: class %s, remediation %q, want stalled naming %q and the trusted keys", commit, st.ErrorClass, st.Remediation, signer)
	}
	if s.published(notPublished) || !s.published(stillPublished) {
		s.t.Errorf("after refusing %s: %s published %v (want false), %s published %v (want true)",
			commit, notPublished, s.published(notPublished), stillPublished, s.published(stillPublished))
	}
	return st
}

func (s *signedFabric) events(typ string) []*state.Event {
	s.t.Helper()
	all, err := s.store.Events(nil, 0, 10000)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []*state.Event
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// passedBy is the signer of the verification_passed event of rev, or "".
func (s *signedFabric) passedBy(rev string) string {
	for _, e := range s.events(state.EventVerificationPassed) {
		if e.Data["revision"] == rev {
			signer, _ := e.Data["signer"].(string)
			return signer
		}
	}
	return ""
}

// Commits signed by a trusted OpenPGP key and by a trusted ssh key are
// applied; an unsigned one, one signed by an unknown key and a signed one
// altered afterwards are refused with the fabric stalled, the previous
// revision staying published; a valid commit then recovers the fabric by
// itself. fgd's own (ssh-signed) commits pass its verification.
func TestGitVerifyHead(t *testing.T) {
	alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
	mallory := gittest.NewGPGKey(t, "Mallory", "mallory@example.org")
	bob := gittest.NewSSHKey(t, "bob@example.org")
	fgdKey := gittest.NewSSHKey(t, "fgd@example.invalid")
	eve := gittest.NewSSHKey(t, "eve@example.org")
	keys := t.TempDir()
	verify := &config.GitVerify{Mode: config.VerifyHead,
		OpenPGPKeyringFile:    gittest.WriteKeyring(t, keys, "trusted.asc", alice),
		SSHAllowedSignersFile: gittest.WriteAllowedSigners(t, keys, "allowed_signers", bob, fgdKey)}

	s := newSignedFabric(t)
	s.remote.SignedChange(t, alice, "vpc-a", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	s.start(config.GitSource{Verify: verify, Push: true, Author: config.Author{SigningKeyFile: fgdKey.KeyFile}})
	first := s.remote.Head(t)
	s.settled("vpc-a applied", func(st *reconciler.SyncStatus) bool {
		return st.State == reconciler.StateCompleted && s.published("vpc-a") && fgdCommits(s.remote.Log(t)) == 1
	})
	if signer := s.passedBy(first); !strings.Contains(signer, "Alice Operator") {
		t.Fatalf("OpenPGP-signed commit: verification_passed by %q", signer)
	}
	// A sync now verifies fgd's own commit, the head.
	patiently(t, "a manual sync accepted", func() bool {
		_, err := s.d.rec.SyncNow("dc1", reconciler.Trigger{Kind: "manual"})
		return err == nil
	})
	st := s.settled("the manual sync", func(st *reconciler.SyncStatus) bool {
		return len(st.Triggers) > 0 && st.Triggers[0].Kind == "manual"
	})
	if !strings.Contains(st.Signer, "fgd@example.invalid") {
		t.Errorf("fgd's own commit: signer %q", st.Signer)
	}
	if st.State != reconciler.StateCompleted || st.Revision != s.remote.Head(t) {
		t.Fatalf("fgd's own commit: %s at %s (%s), want completed at %s", st.State, st.Revision, st.Error, s.remote.Head(t))
	}

	byBob := s.remote.SignedChange(t, bob, "vpc-b", map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")})
	s.settled("vpc-b applied", func(*reconciler.SyncStatus) bool { return s.published("vpc-b") })
	if signer := s.passedBy(byBob); !strings.Contains(signer, "bob@example.org") {
		t.Errorf("ssh-signed commit: verification_passed by %q", signer)
	}
	patiently(t, "fgd's second commit", func() bool { return fgdCommits(s.remote.Log(t)) == 2 })

	unsigned := s.remote.SignedChange(t, nil, "vpc-c", map[string]string{"fgd/raw/c.yaml": vpc("vpc-c")})
	s.refused(unsigned, "unsigned", "vpc-c", "vpc-b")
	if e := s.events(state.EventVerificationFailed); len(e) == 0 || e[len(e)-1].Data["commit"] != unsigned || e[len(e)-1].Data["signer"] != "unsigned" {
		t.Errorf("verification_failed events: %v", e)
	}

	untrusted := s.remote.SignedChange(t, mallory, "vpc-d", map[string]string{"fgd/raw/d.yaml": vpc("vpc-d")})
	s.refused(untrusted, "openpgp key "+mallory.Fingerprint[len(mallory.Fingerprint)-16:], "vpc-d", "vpc-b")
	sshUntrusted := s.remote.SignedChange(t, eve, "vpc-e", map[string]string{"fgd/raw/e.yaml": vpc("vpc-e")})
	s.refused(sshUntrusted, "ssh key SHA256:", "vpc-e", "vpc-b")
	tampered := s.remote.TamperedChange(t, alice, "vpc-f", map[string]string{"fgd/raw/f.yaml": vpc("vpc-f")})
	st = s.refused(tampered, "Alice Operator", "vpc-f", "vpc-b")
	if !strings.Contains(st.Error, "does not match the commit") {
		t.Errorf("tampered commit: error %q does not say the signature does not match", st.Error)
	}
	if fgdCommits(s.remote.Log(t)) != 2 {
		t.Errorf("fgd committed on a refused revision: %v", s.remote.Log(t))
	}

	// A valid commit: recovered without anyone's help; in mode head the
	// refused commits below it come along. The applied revision is fgd's
	// commit on top, which fgd signed.
	good := s.remote.SignedChange(t, alice, "vpc-g", map[string]string{"fgd/raw/g.yaml": vpc("vpc-g")})
	st = s.settled("recovery", func(*reconciler.SyncStatus) bool { return s.published("vpc-g") })
	if st.State != reconciler.StateCompleted || !strings.Contains(st.Signer, "fgd@example.invalid") {
		t.Errorf("recovery: %s, signer %q", st.State, st.Signer)
	}
	f, err := s.store.Fabric(nil, "dc1")
	if err != nil || f == nil || f.Revision != s.remote.Head(t) || !strings.Contains(f.Signer, "fgd@example.invalid") {
		t.Errorf("the store's fabric shows %+v (%v), want fgd's commit %s signed by fgd", f, err, s.remote.Head(t))
	}
	if signer := s.passedBy(good); !strings.Contains(signer, "Alice Operator") {
		t.Errorf("recovery: verification_passed by %q", signer)
	}
}

// Mode all: a signed head on top of an unsigned commit is refused, naming
// the unsigned one; fgd's own signed commits in the history pass, and
// git verify-commit accepts them, for an OpenPGP and an ssh signing key.
func TestGitVerifyAll(t *testing.T) {
	for _, kind := range []string{"openpgp", "ssh"} {
		t.Run(kind, func(t *testing.T) {
			alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
			keys := t.TempDir()
			verify := &config.GitVerify{Mode: config.VerifyAll, OpenPGPKeyringFile: filepath.Join(keys, "trusted.asc")}
			var fgdSigner gittest.Signer
			var signingKey, allowed string
			if kind == "openpgp" {
				k := gittest.NewGPGKey(t, "fgd", "fgd@example.invalid")
				fgdSigner, signingKey = k, k.SecretFile
				gittest.WriteKeyring(t, keys, "trusted.asc", alice, k)
			} else {
				k := gittest.NewSSHKey(t, "fgd@example.invalid")
				fgdSigner, signingKey = k, k.KeyFile
				gittest.WriteKeyring(t, keys, "trusted.asc", alice)
				allowed = gittest.WriteAllowedSigners(t, keys, "allowed_signers", k)
				verify.SSHAllowedSignersFile = allowed
			}

			s := newSignedFabric(t)
			s.remote.SignedChange(t, alice, "vpc-a", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
			s.start(config.GitSource{Verify: verify, Push: true, Author: config.Author{SigningKeyFile: signingKey}})
			patiently(t, "fgd's commit", func() bool { return fgdCommits(s.remote.Log(t)) == 1 })
			own := s.remote.Head(t)
			if err := s.remote.VerifyCommit(t, own, fgdSigner, allowed); err != nil {
				t.Errorf("git verify-commit refuses fgd's commit: %v", err)
			}

			// Two commits on top of fgd's, pushed at once: mode all checks
			// fgd's (below the last verified head) and both new ones,
			// fetching deeper than the shallow clone to reach them.
			s.remote.SignedCommits(t,
				gittest.Commit{Signer: alice, Message: "vpc-b", Write: map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")}},
				gittest.Commit{Signer: alice, Message: "vpc-c", Write: map[string]string{"fgd/raw/c.yaml": vpc("vpc-c")}})
			s.settled("vpc-c applied", func(*reconciler.SyncStatus) bool { return s.published("vpc-c") && s.published("vpc-b") })
			patiently(t, "fgd's second commit", func() bool { return fgdCommits(s.remote.Log(t)) == 2 })

			head := s.remote.SignedCommits(t,
				gittest.Commit{Message: "vpc-d", Write: map[string]string{"fgd/raw/d.yaml": vpc("vpc-d")}},
				gittest.Commit{Signer: alice, Message: "vpc-e", Write: map[string]string{"fgd/raw/e.yaml": vpc("vpc-e")}})
			unsigned := gittest.Git(t, s.remote.Dir(), "rev-parse", head+"^")
			st := s.settled("the refusal of the signed head", func(st *reconciler.SyncStatus) bool {
				return st.State == reconciler.StateFailed && strings.Contains(st.Error, "between the head "+head)
			})
			if st.ErrorClass != "stalled" || !strings.Contains(st.Remediation, unsigned) || !strings.Contains(st.Remediation, "unsigned") {
				t.Errorf("refusal: class %s, remediation %q, want stalled naming the unsigned commit %s", st.ErrorClass, st.Remediation, unsigned)
			}
			if s.published("vpc-e") || s.published("vpc-d") || !s.published("vpc-c") {
				t.Errorf("published after the refusal: vpc-c %v, vpc-d %v, vpc-e %v", s.published("vpc-c"), s.published("vpc-d"), s.published("vpc-e"))
			}
		})
	}
}

// The revision a refused sync leaves in the clone's working tree is the
// last verified one, not the refused one: what reads the FGD never sees it.
func TestGitVerifyKeepsTheWorkingTree(t *testing.T) {
	alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
	keys := t.TempDir()
	verify := &config.GitVerify{Mode: config.VerifyHead, OpenPGPKeyringFile: gittest.WriteKeyring(t, keys, "trusted.asc", alice)}
	s := newSignedFabric(t)
	s.remote.SignedChange(t, alice, "vpc-a", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	s.start(config.GitSource{Verify: verify})
	s.settled("vpc-a applied", func(st *reconciler.SyncStatus) bool { return st.State == reconciler.StateCompleted })
	unsigned := s.remote.SignedChange(t, nil, "vpc-b", map[string]string{"fgd/raw/b.yaml": vpc("vpc-b")})
	s.refused(unsigned, "unsigned", "vpc-b", "vpc-a")

	worktree := git.DirFor(s.d.state, s.remote.FileURL(), "main")
	if _, err := os.Stat(filepath.Join(worktree, "fgd", "raw", "a.yaml")); err != nil {
		t.Errorf("the verified revision's file is not in the working tree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(worktree, "fgd", "raw", "b.yaml")); !os.IsNotExist(err) {
		t.Errorf("the refused revision's file is in the working tree (%v)", err)
	}
}

// Mode all on a head that does not move: every sync verifies it again and
// passes, though the history below the first verified head (the unsigned
// seed) was never signed: trust starts at the first verified head.
func TestRepoVerifyAllUnchangedHead(t *testing.T) {
	alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
	e := newEnv(t, "file", seedFGD())
	head := e.remote.SignedChange(t, alice, "signed", map[string]string{"dc1/raw/x.yaml": "x: 1\n"})
	o := e.options()
	o.Verify = config.GitVerify{Mode: config.VerifyAll, OpenPGPKeyringFile: gittest.WriteKeyring(t, t.TempDir(), "trusted.asc", alice)}
	r := e.open(o)
	for i := range 3 {
		do(t, r, func(ctx context.Context, w *git.Worktree) error {
			rev, err := w.Update(ctx)
			if err != nil || rev.String() != head || !strings.Contains(w.Signer(), "Alice Operator") {
				t.Errorf("update %d: %s, %v, signer %q; want %s by Alice", i, rev, err, w.Signer(), head)
			}
			return nil
		})
	}
}

// A reload that turns verify on puts it in force for the clone fgd has:
// the unsigned head it applied before is refused from the next sync on.
func TestGitVerifyTurnedOnByAReload(t *testing.T) {
	alice := gittest.NewGPGKey(t, "Alice Operator", "alice@example.org")
	s := newSignedFabric(t)
	unsigned := s.remote.SignedChange(t, nil, "vpc-a", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	s.start(config.GitSource{})
	st := s.settled("vpc-a applied unverified", func(st *reconciler.SyncStatus) bool { return s.published("vpc-a") })
	if st.State != reconciler.StateCompleted || st.Signer != "" {
		t.Fatalf("without verify: %s, signer %q", st.State, st.Signer)
	}
	verify := &config.GitVerify{Mode: config.VerifyHead, OpenPGPKeyringFile: gittest.WriteKeyring(t, t.TempDir(), "trusted.asc", alice)}
	s.start(config.GitSource{Verify: verify})
	s.refused(unsigned, "unsigned", "vpc-b", "vpc-a")
}

// patiently polls cond for up to 3 minutes: the signature tests chain
// several waits on a machine that may be loaded; the bound only catches a
// wedged test.
func patiently(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Mode all refuses, with a remediation, a new head with more commits
// between it and the last verified one than the walk's bound, and one
// whose walk leaves the history the remote serves; a history rewritten
// from its root, signed throughout, is accepted.
func TestRepoVerifyAllBounds(t *testing.T) {
	k := gittest.NewSSHKey(t, "alice@example.org")
	e := newEnv(t, "file", seedFGD())
	e.remote.SignedChange(t, k, "first", map[string]string{"dc1/raw/a.yaml": "a: 1\n"})
	o := e.options()
	o.Verify = config.GitVerify{Mode: config.VerifyAll, SSHAllowedSignersFile: gittest.WriteAllowedSigners(t, t.TempDir(), "allowed", k)}
	r := e.open(o)
	git.SetMaxVerifyWalk(r, 3)
	update := func() (string, error) {
		var rev string
		err := r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
			h, err := w.Update(ctx)
			rev = h.String()
			return err
		})
		return rev, err
	}
	if _, err := update(); err != nil {
		t.Fatal(err)
	}
	var commits []gittest.Commit
	for i := range 5 {
		commits = append(commits, gittest.Commit{Signer: k, Message: fmt.Sprint("c", i), Write: map[string]string{"dc1/raw/c.yaml": fmt.Sprint("c: ", i, "\n")}})
	}
	head := e.remote.SignedCommits(t, commits...)
	var ve *git.VerifyError
	if _, err := update(); !errors.As(err, &ve) || ve.Commit != head || !strings.Contains(err.Error(), "more than 3 commits") {
		t.Fatalf("5 new commits (4 below the head) with a bound of 3: %v", err)
	}

	// A rewritten history: one signed root commit, force-pushed.
	work := filepath.Join(t.TempDir(), "w")
	gittest.Git(t, t.TempDir(), "init", "--quiet", "--initial-branch=main", work)
	gittest.WriteFiles(t, work, map[string]string{"dc1/raw/z.yaml": "z: 1\n"})
	gittest.Git(t, work, "add", "--all")
	cmd := exec.Command("git", append(k.GitConfig(), "commit", "--quiet", "-S", "-m", "rewritten")...)
	cmd.Dir, cmd.Env = work, gittest.Env(work)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v %s", err, out)
	}
	gittest.Git(t, work, "push", "--quiet", "--force", e.remote.Dir(), "HEAD:refs/heads/main")
	if rev, err := update(); err != nil || rev != e.remote.Head(t) {
		t.Errorf("a rewritten history signed throughout: %s, %v", rev, err)
	}
}

// fgd checks its own commit as its next sync will before the branch moves:
// a signing key the trust files lack fails the commit, naming the fix,
// instead of pushing a commit that would stall the branch's fabrics.
func TestRepoVerifyOwnCommit(t *testing.T) {
	alice := gittest.NewSSHKey(t, "alice@example.org")
	fgdKey := gittest.NewSSHKey(t, "fgd@example.invalid")
	e := newEnv(t, "file", seedFGD())
	head := e.remote.SignedChange(t, alice, "signed", map[string]string{"dc1/raw/x.yaml": "x: 1\n"})
	keys := t.TempDir()
	o := e.options()
	o.Author.SigningKeyFile = fgdKey.KeyFile
	o.Verify = config.GitVerify{Mode: config.VerifyHead, SSHAllowedSignersFile: gittest.WriteAllowedSigners(t, keys, "allowed", alice)}
	r := e.open(o)
	commit := func() (string, error) {
		var rev string
		err := r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
			if _, err := w.Update(ctx); err != nil {
				return err
			}
			gittest.WriteFiles(t, r.Dir(), map[string]string{"dc1/new.yaml": "y: 2\n"})
			h, _, err := w.Commit(ctx, "dc1", "fgd: test")
			rev = w.Signer()
			_ = h
			return err
		})
		return rev, err
	}
	var ke *git.KeyFileError
	if _, err := commit(); !errors.As(err, &ke) || ke.Key != "author.signing_key_file" || !strings.Contains(err.Error(), "own commit would fail its verification") {
		t.Fatalf("untrusted signing key: %v", err)
	}
	if got := gittest.Git(t, r.Dir(), "rev-parse", "refs/heads/main"); got != head {
		t.Errorf("the branch moved to %s on a refused own commit, want %s", got, head)
	}
	gittest.WriteAllowedSigners(t, keys, "allowed", alice, fgdKey)
	if signer, err := commit(); err != nil || !strings.Contains(signer, "fgd@example.invalid") {
		t.Errorf("trusted signing key: signer %q, %v", signer, err)
	}
}
