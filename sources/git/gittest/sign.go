package gittest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Signer is a key the git CLI signs commits with (git commit -S).
type Signer interface {
	// GitConfig are the "-c key=value" options that select the key.
	GitConfig() []string
	// Environ is what git and its signing program need in the environment.
	Environ() []string
}

// GPGKey is an OpenPGP key pair in a GnuPG home of its own, made with gpg.
type GPGKey struct {
	Home        string // GNUPGHOME
	Fingerprint string
	PublicFile  string // armored public key
	SecretFile  string // armored secret key, unprotected, mode 0600
}

// NewGPGKey generates an ed25519 signing key for "name <email>" with gpg,
// in a temporary GNUPGHOME, and exports both halves. It skips the test,
// loudly, when gpg is not installed.
func NewGPGKey(tb testing.TB, name, email string) *GPGKey {
	tb.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		tb.Skip("SKIPPED: gpg is not installed; the commit-signature tests need it (Debian: apt-get install -y gnupg)")
	}
	// gpg-agent's socket path must stay short: a home below /tmp.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		_ = os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o700); err != nil {
		tb.Fatal(err)
	}
	k := &GPGKey{Home: home}
	k.gpg(tb, "--quick-gen-key", name+" <"+email+">", "ed25519", "sign", "never")
	for _, l := range strings.Split(k.gpg(tb, "--with-colons", "--list-secret-keys"), "\n") {
		if f := strings.Split(l, ":"); len(f) > 9 && f[0] == "fpr" {
			k.Fingerprint = f[9]
			break
		}
	}
	if k.Fingerprint == "" {
		tb.Fatal("gpg made no key")
	}
	dir := tb.TempDir()
	k.PublicFile = filepath.Join(dir, "public.asc")
	writeFile(tb, k.PublicFile, k.gpg(tb, "--armor", "--export", k.Fingerprint), 0o644)
	k.SecretFile = filepath.Join(dir, "secret.asc")
	writeFile(tb, k.SecretFile, k.gpg(tb, "--armor", "--export-secret-keys", k.Fingerprint), 0o600)
	return k
}

func (k *GPGKey) gpg(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command("gpg", append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
	cmd.Env = append(os.Environ(), k.Environ()...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("gpg %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}

// GitConfig selects the key for git commit -S.
func (k *GPGKey) GitConfig() []string {
	return []string{"-c", "gpg.format=openpgp", "-c", "user.signingkey=" + k.Fingerprint}
}

// Environ points gpg at the key's home.
func (k *GPGKey) Environ() []string { return []string{"GNUPGHOME=" + k.Home} }

// SSHKey is an ed25519 ssh key pair made with ssh-keygen.
type SSHKey struct {
	Principal string
	KeyFile   string // the private key, mode 0600
	PublicKey string // "ssh-ed25519 AAAA..."
}

// NewSSHKey generates an ssh key for principal with ssh-keygen; it skips the
// test, loudly, when ssh-keygen is not installed.
func NewSSHKey(tb testing.TB, principal string) *SSHKey {
	tb.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		tb.Skip("SKIPPED: ssh-keygen is not installed; the commit-signature tests need it (Debian: apt-get install -y openssh-client)")
	}
	k := &SSHKey{Principal: principal, KeyFile: filepath.Join(tb.TempDir(), "id_ed25519")}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", k.KeyFile).CombinedOutput(); err != nil {
		tb.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(k.KeyFile + ".pub")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(pub))
	k.PublicKey = f[0] + " " + f[1]
	return k
}

// GitConfig selects the key for git commit -S.
func (k *SSHKey) GitConfig() []string {
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + k.KeyFile}
}

// Environ needs nothing for ssh-keygen.
func (k *SSHKey) Environ() []string { return nil }

// AllowedSigner is the key's line in an allowed-signers file, for git's
// namespace.
func (k *SSHKey) AllowedSigner() string {
	return k.Principal + ` namespaces="git" ` + k.PublicKey
}

// WriteKeyring writes the armored public keys of keys into dir/name.
func WriteKeyring(tb testing.TB, dir, name string, keys ...*GPGKey) string {
	tb.Helper()
	var b strings.Builder
	for _, k := range keys {
		data, err := os.ReadFile(k.PublicFile)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(data)
	}
	p := filepath.Join(dir, name)
	writeFile(tb, p, b.String(), 0o644)
	return p
}

// WriteAllowedSigners writes an allowed-signers file of keys into dir/name.
func WriteAllowedSigners(tb testing.TB, dir, name string, keys ...*SSHKey) string {
	tb.Helper()
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k.AllowedSigner() + "\n")
	}
	p := filepath.Join(dir, name)
	writeFile(tb, p, b.String(), 0o644)
	return p
}

func writeFile(tb testing.TB, p, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

// Commit is one commit of SignedCommits.
type Commit struct {
	Signer  Signer // nil: unsigned
	Message string
	Write   map[string]string
	// Tamper rewrites the commit with its message changed and its
	// signature kept, as an attacker with write access to the server could.
	Tamper bool
}

// SignedChange is Change with the commit signed by s (nil: unsigned).
func (r *Remote) SignedChange(tb testing.TB, s Signer, message string, write map[string]string) string {
	tb.Helper()
	return r.SignedCommits(tb, Commit{Signer: s, Message: message, Write: write})
}

// TamperedChange commits like SignedChange, then tampers with the commit
// (see Commit.Tamper) and pushes that; it returns the pushed head.
func (r *Remote) TamperedChange(tb testing.TB, s Signer, message string, write map[string]string) string {
	tb.Helper()
	return r.SignedCommits(tb, Commit{Signer: s, Message: message, Write: write, Tamper: true})
}

// SignedCommits makes the commits, one on top of the other, and pushes
// them at once to the branch; it returns the new head. When someone else
// (fgd) pushed meanwhile, it starts again from the new head.
func (r *Remote) SignedCommits(tb testing.TB, commits ...Commit) string {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		work := filepath.Join(tb.TempDir(), "work")
		Git(tb, r.Root, "clone", "--quiet", "--branch", r.Branch, r.Dir(), work)
		for _, c := range commits {
			commit(tb, work, c)
		}
		out, err := RunGit(work, "push", "--quiet", "origin", "HEAD:refs/heads/"+r.Branch)
		if err == nil {
			return Git(tb, work, "rev-parse", "HEAD")
		}
		if attempt == 10 || !strings.Contains(err.Error(), "fetch first") {
			tb.Fatalf("git push in %s: %v %s", work, err, out)
		}
	}
}

func commit(tb testing.TB, work string, c Commit) {
	tb.Helper()
	WriteFiles(tb, work, c.Write)
	Git(tb, work, "add", "--all")
	args := []string{"commit", "--quiet", "--allow-empty", "-m", c.Message}
	var env []string
	if c.Signer != nil {
		args = append(append(append([]string(nil), c.Signer.GitConfig()...), args...), "-S")
		env = c.Signer.Environ()
	}
	if out, err := runGitEnv(work, env, args...); err != nil {
		tb.Fatalf("git commit in %s: %v (%s)", work, err, out)
	}
	if !c.Tamper {
		return
	}
	raw := Git(tb, work, "cat-file", "commit", "HEAD")
	if !strings.Contains(raw, "gpgsig ") {
		tb.Fatal("Tamper: the commit is not signed")
	}
	cmd := exec.Command("git", "hash-object", "-w", "-t", "commit", "--stdin")
	cmd.Dir, cmd.Env = work, Env(work)
	cmd.Stdin = strings.NewReader(raw + "\nand one more line nobody signed\n")
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("git hash-object: %v", err)
	}
	Git(tb, work, "update-ref", "HEAD", strings.TrimSpace(string(out)))
}

// VerifyCommit runs git verify-commit on rev of the remote, trusting the
// keys of s's environment (gpg) or the allowed-signers file (ssh).
func (r *Remote) VerifyCommit(tb testing.TB, rev string, s Signer, allowedSigners string) error {
	tb.Helper()
	args := []string{"verify-commit", rev}
	if allowedSigners != "" {
		args = append([]string{"-c", "gpg.ssh.allowedSignersFile=" + allowedSigners}, args...)
	}
	out, err := runGitEnv(r.Dir(), s.Environ(), args...)
	if err != nil {
		tb.Logf("git verify-commit %s: %s", rev, out)
	}
	return err
}

// runGitEnv runs git in dir with extra environment variables and returns
// its combined output.
func runGitEnv(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(Env(dir), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
