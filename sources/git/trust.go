package git

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/sources/git/gitwrite"
)

// maxTrustFile bounds a trust file: a keyring of a few hundred keys fits,
// and a huge file is the wrong file.
const maxTrustFile = 4 << 20

// sshNamespace is the namespace of git's ssh signatures (gpg.format=ssh).
const sshNamespace = gitwrite.SSHNamespace

// trust is the set of keys a source trusts, read from its files for one
// verification: a key added or removed takes effect on the next one.
type trust struct {
	pgp     openpgp.EntityList
	signers []allowedSigner
	files   []string // the configured files, for messages
}

// loadTrust reads the trust files of v. A missing, unreadable or unparsable
// file is a *KeyFileError: the fabric needs its config or file fixed.
func loadTrust(v config.GitVerify) (*trust, error) {
	t := &trust{}
	if f := v.OpenPGPKeyringFile; f != "" {
		t.files = append(t.files, "openpgp_keyring_file "+f)
		data, err := readKeyFile(f)
		if err != nil {
			return nil, &KeyFileError{Key: "verify.openpgp_keyring_file", Err: err}
		}
		if t.pgp, err = readKeyring(data); err != nil {
			return nil, &KeyFileError{Key: "verify.openpgp_keyring_file", Err: fmt.Errorf("%s is not an armored OpenPGP keyring (gpg --export --armor): %v", f, err)}
		}
	}
	if f := v.SSHAllowedSignersFile; f != "" {
		t.files = append(t.files, "ssh_allowed_signers_file "+f)
		data, err := readKeyFile(f)
		if err != nil {
			return nil, &KeyFileError{Key: "verify.ssh_allowed_signers_file", Err: err}
		}
		if t.signers, err = parseAllowedSigners(data); err != nil {
			return nil, &KeyFileError{Key: "verify.ssh_allowed_signers_file", Err: fmt.Errorf("%s: %w", f, err)}
		}
	}
	return t, nil
}

// pgpBlock starts an armored block of public keys.
const pgpBlock = "-----BEGIN PGP PUBLIC KEY BLOCK-----"

// readKeyring reads every armored block of public keys in data: a file
// made by concatenating exported keys holds several.
func readKeyring(data []byte) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	parts := strings.Split(string(data), pgpBlock)
	if len(parts) < 2 {
		return nil, errors.New("it holds no " + pgpBlock)
	}
	for _, p := range parts[1:] {
		el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(pgpBlock + p))
		if err != nil {
			return nil, err
		}
		all = append(all, el...)
	}
	return all, nil
}

// readKeyFile reads a file of public keys: a regular file, bounded.
func readKeyFile(path string) ([]byte, error) {
	return config.ReadOperatorFile(path, "trust file", maxTrustFile)
}

// describe names the trusted keys for a remediation: the OpenPGP key IDs
// with their primary user IDs and the ssh principals, and the files.
func (t *trust) describe() string {
	var keys []string
	for _, e := range t.pgp {
		keys = append(keys, pgpName(e, e.PrimaryKey))
	}
	for _, s := range t.signers {
		keys = append(keys, s.name())
	}
	const maxListed = 8
	if len(keys) > maxListed {
		keys = append(keys[:maxListed], fmt.Sprintf("and %d more", len(keys)-maxListed))
	}
	if len(keys) == 0 {
		keys = []string{"no keys at all"}
	}
	return fmt.Sprintf("%s (%s)", strings.Join(keys, ", "), strings.Join(t.files, ", "))
}

func pgpName(e *openpgp.Entity, k *packet.PublicKey) string {
	id := "openpgp key " + k.KeyIdString()
	if e != nil {
		if pi := e.PrimaryIdentity(); pi != nil {
			return pi.Name + " (" + id + ")"
		}
	}
	return id
}

// verifyCommit checks the signature of c against the trusted keys and
// returns who signed it. A commit that is unsigned, signed by an unknown
// key or altered after signing is a *VerifyError.
func (t *trust) verifyCommit(c *object.Commit) (string, error) {
	sig := c.PGPSignature
	fail := func(signer, reason string) (string, error) {
		return "", &VerifyError{Commit: c.Hash.String(), Signer: signer, Reason: reason, Trusted: t.describe()}
	}
	switch {
	case strings.TrimSpace(sig) == "":
		return fail(Unsigned, "it has no signature")
	case strings.Count(sig, "-----BEGIN ") > 1:
		return fail("several signatures", "it carries more than one signature block")
	}
	payload, err := gitwrite.SignedPayload(c)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(strings.TrimSpace(sig), "-----BEGIN SSH SIGNATURE-----") {
		return t.verifySSH(c, payload, fail)
	}
	return t.verifyPGP(payload, sig, fail)
}

func (t *trust) verifyPGP(payload []byte, sig string, fail func(string, string) (string, error)) (string, error) {
	signer := t.pgpIssuer(sig)
	if len(t.pgp) == 0 {
		return fail(signer, "it has an OpenPGP signature and no OpenPGP keys are trusted (openpgp_keyring_file)")
	}
	e, err := openpgp.CheckArmoredDetachedSignature(t.pgp, bytes.NewReader(payload), strings.NewReader(sig), nil)
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return fail(signer, "its key is not trusted")
	case err != nil:
		return fail(signer, "the signature does not match the commit (altered after signing, or a bad signature): "+err.Error())
	}
	return pgpName(e, e.PrimaryKey), nil
}

// pgpIssuer names the key an OpenPGP signature claims to come from, for
// messages about signatures that did not verify: with its user ID when the
// key is a trusted one.
func (t *trust) pgpIssuer(sig string) string {
	block, err := armor.Decode(strings.NewReader(sig))
	if err != nil {
		return "an unreadable OpenPGP signature"
	}
	p, err := packet.Read(block.Body)
	s, ok := p.(*packet.Signature)
	switch {
	case err != nil || !ok:
		return "an unreadable OpenPGP signature"
	case s.IssuerKeyId != nil:
		if keys := t.pgp.KeysById(*s.IssuerKeyId); len(keys) > 0 {
			return pgpName(keys[0].Entity, keys[0].PublicKey)
		}
		return fmt.Sprintf("openpgp key %016X", *s.IssuerKeyId)
	}
	return "an OpenPGP key without issuer"
}

func (t *trust) verifySSH(c *object.Commit, payload []byte, fail func(string, string) (string, error)) (string, error) {
	sig, err := sshsig.Unarmor([]byte(c.PGPSignature))
	if err != nil {
		return fail("an unreadable ssh signature", err.Error())
	}
	signer := "ssh key " + fingerprint(sig.PublicKey)
	if len(t.signers) == 0 {
		return fail(signer, "it has an ssh signature and no ssh keys are trusted (ssh_allowed_signers_file)")
	}
	s, why := t.sshSigner(sig.PublicKey, c.Committer.When)
	if s == nil {
		return fail(signer, why)
	}
	if err := sshsig.Verify(bytes.NewReader(payload), sig, sig.PublicKey, sig.HashAlgorithm, sshNamespace); err != nil {
		return fail(s.name(), "the signature does not match the commit (altered after signing, or a bad signature): "+err.Error())
	}
	return s.name(), nil
}
