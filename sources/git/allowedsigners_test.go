package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ssh"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The allowed-signers file: principals, namespaces, validity, comments and
// quoting as ssh-keygen reads them; cert-authority and garbage are errors
// that name the line.
func TestAllowedSigners(t *testing.T) {
	k := gittest.NewSSHKey(t, "alice@example.org")
	other := gittest.NewSSHKey(t, "bob@example.org")
	when := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, file        string
		signer, why, fail string
	}{
		{name: "plain", file: "alice@example.org " + k.PublicKey + " a comment\n", signer: "alice@example.org (ssh key SHA256:"},
		{name: "comments and several principals", file: "# trusted\n\n" + other.AllowedSigner() + "\nalice@example.org,a@example.org " + k.PublicKey + "\n",
			signer: "alice@example.org,a@example.org"},
		{name: "git namespace", file: `alice@example.org namespaces="file,git" ` + k.PublicKey, signer: "alice@example.org"},
		{name: "other namespace only", file: `alice@example.org namespaces="file" ` + k.PublicKey, why: `namespaces file, not "git"`},
		{name: "valid window", file: `alice@example.org valid-after="20260101",valid-before="20270101Z" ` + k.PublicKey, signer: "alice@example.org"},
		{name: "not yet valid", file: `alice@example.org valid-after="202607011200Z" ` + k.PublicKey, why: "only from 2026-07-01T12:00:00Z"},
		{name: "expired", file: `alice@example.org valid-before="20260101000000Z" ` + k.PublicKey, why: "only until 2026-01-01T00:00:00Z"},
		{name: "unknown key", file: other.AllowedSigner(), why: "its key is not trusted"},
		{name: "cert-authority refused", file: "\n*@example.org cert-authority " + k.PublicKey, fail: "line 2: cert-authority is not supported"},
		{name: "bad key", file: "alice@example.org ssh-ed25519 AAAAnot-base64", fail: "line 1: the key is not an ssh public key"},
		{name: "unknown option", file: "alice@example.org no-touch-required " + k.PublicKey, fail: `line 1: unknown option "no-touch-required"`},
		{name: "bad time", file: `alice@example.org valid-after="yesterday" ` + k.PublicKey, fail: "valid-after: \"yesterday\" is not YYYYMMDD"},
		{name: "too short", file: "alice@example.org\n", fail: "line 1: want: principals"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			signer, why, err := git.AllowedSigner([]byte(tc.file), []byte(k.PublicKey), when)
			switch {
			case tc.fail != "":
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Errorf("error %v, want one with %q", err, tc.fail)
				}
			case err != nil:
				t.Fatal(err)
			case tc.signer != "" && !strings.Contains(signer, tc.signer):
				t.Errorf("signer %q (%s), want %q", signer, why, tc.signer)
			case tc.why != "" && (signer != "" || !strings.Contains(why, tc.why)):
				t.Errorf("signer %q why %q, want none because %q", signer, why, tc.why)
			}
		})
	}
}

// Key files that cannot be used fail the operation with a *KeyFileError
// naming the config key and the fix, never the key; the trust files are
// read on every verification, so a key added to them takes effect at once;
// each verification is counted.
func TestRepoVerifyKeyFiles(t *testing.T) {
	k := gittest.NewSSHKey(t, "alice@example.org")
	e := newEnv(t, "file", seedFGD())
	e.remote.SignedChange(t, k, "signed", map[string]string{"dc1/raw/x.yaml": "x: 1\n"})
	keys := t.TempDir()
	allowed := filepath.Join(keys, "allowed_signers")
	reg := prometheus.NewRegistry()
	o := e.options()
	o.Metrics = git.NewMetrics(reg)
	o.Verify = config.GitVerify{Mode: config.VerifyHead, SSHAllowedSignersFile: allowed}
	r := e.open(o)

	update := func() error {
		return r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error { _, err := w.Update(ctx); return err })
	}
	var ke *git.KeyFileError
	if err := update(); !errors.As(err, &ke) || ke.Key != "verify.ssh_allowed_signers_file" {
		t.Fatalf("missing allowed-signers file: %v", err)
	}
	gittest.WriteAllowedSigners(t, keys, "allowed_signers", gittest.NewSSHKey(t, "bob@example.org"))
	var ve *git.VerifyError
	if err := update(); !errors.As(err, &ve) || ve.Signer != "ssh key "+fingerprintOf(t, k) || !strings.Contains(ve.Trusted, "bob@example.org") {
		t.Fatalf("untrusted key: %v", err)
	}
	gittest.WriteAllowedSigners(t, keys, "allowed_signers", k)
	if err := update(); err != nil {
		t.Fatalf("trusted key: %v", err)
	}
	if got := verifications(t, reg, "failed"); got != 2 {
		t.Errorf("fgd_git_verification_total{result=failed} = %v, want 2", got)
	}

	secret, _ := os.ReadFile(k.KeyFile)
	if err := os.Chmod(k.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	r.Reconfigure(git.Settings{Author: config.Author{SigningKeyFile: k.KeyFile}, Verify: o.Verify})
	err := r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
		if _, err := w.Update(ctx); err != nil {
			return err
		}
		gittest.WriteFiles(t, r.Dir(), map[string]string{"dc1/new.yaml": "y: 2\n"})
		_, _, err := w.Commit(ctx, "dc1", "fgd: test")
		return err
	})
	if !errors.As(err, &ke) || ke.Key != "author.signing_key_file" || !strings.Contains(err.Error(), "readable by every user") {
		t.Errorf("world-readable signing key: %v", err)
	}
	if strings.Contains(err.Error(), strings.TrimSpace(string(secret))[40:80]) || strings.Contains(e.logs.String(), strings.TrimSpace(string(secret))[40:80]) {
		t.Error("the signing key leaked into an error or the log")
	}
}

func fingerprintOf(t *testing.T, k *gittest.SSHKey) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}

// verifications is the value of fgd_git_verification_total{result}.
func verifications(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "fgd_git_verification_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
