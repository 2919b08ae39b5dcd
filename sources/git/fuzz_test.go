package git

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"
)

// FuzzVerifySignature feeds hostile gpgsig headers, as a remote may serve
// them, to the verification of a commit: it never panics, and never passes
// a signature no trusted key made.
func FuzzVerifySignature(f *testing.F) {
	e, err := openpgp.NewEntity("trusted", "", "trusted@example.org", nil)
	if err != nil {
		f.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	tr := &trust{pgp: openpgp.EntityList{e}, signers: []allowedSigner{{principals: []string{"trusted@example.org"}, key: sshPub}}}
	for _, seed := range []string{
		"",
		"-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTk=\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\n-----BEGIN PGP SIGNATURE-----\n",
		"\x00\xff-----BEGIN SSH SIGNATURE-----",
	} {
		f.Add(seed)
	}
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, sig string) {
		c := &object.Commit{
			Hash:         plumbing.NewHash("0123456789abcdef0123456789abcdef01234567"),
			Author:       object.Signature{Name: "a", Email: "a@example.org", When: when},
			Committer:    object.Signature{Name: "a", Email: "a@example.org", When: when},
			Message:      "m\n",
			TreeHash:     plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
			PGPSignature: sig,
		}
		signer, err := tr.verifyCommit(c)
		var ve *VerifyError
		if err == nil || !errors.As(err, &ve) || signer != "" {
			t.Fatalf("signature %q: signer %q, err %v; want a *VerifyError", sig, signer, err)
		}
	})
}
