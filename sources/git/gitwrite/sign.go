package gitwrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/fgdproject/fgd/internal/config"
)

// SSHNamespace is the namespace of git's ssh signatures (gpg.format=ssh).
const SSHNamespace = "git"

// KeyError is a signing key file that cannot be used: the fabric needs it
// fixed. Its text never holds the key.
type KeyError struct{ Err error }

func (e *KeyError) Error() string { return e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// Sign signs the commit cm with the key in file, as git does: over the
// encoded commit without the signature header, an armored detached OpenPGP
// signature or an ssh signature (namespace git, sha512) in the gpgsig
// header. The key is read on every commit, so a rotated key needs no
// restart; an unusable key is a *KeyError that never quotes the key.
func Sign(cm *object.Commit, file string) error {
	keyErr := func(format string, args ...any) error {
		return &KeyError{Err: fmt.Errorf(format, args...)}
	}
	key, err := config.ReadSecret(file)
	if err != nil {
		return keyErr("%w", err)
	}
	payload, err := SignedPayload(cm)
	if err != nil {
		return err
	}
	var sig []byte
	if strings.Contains(key, "-----BEGIN PGP PRIVATE KEY BLOCK-----") {
		sig, err = signPGP(key, payload)
	} else {
		sig, err = signSSH(key, payload)
	}
	if err != nil {
		return keyErr("%s: %w", file, err)
	}
	cm.PGPSignature = string(sig)
	return nil
}

func signPGP(key string, payload []byte) ([]byte, error) {
	el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(key))
	if err != nil {
		return nil, errors.New("not a usable armored OpenPGP private key (gpg --export-secret-keys --armor)")
	}
	var signer *openpgp.Entity
	for _, e := range el {
		if e.PrivateKey != nil {
			signer = e
			break
		}
	}
	switch {
	case signer == nil:
		return nil, errors.New("holds OpenPGP public keys only: export the secret key (gpg --export-secret-keys --armor)")
	case signer.PrivateKey.Encrypted:
		return nil, errors.New("the OpenPGP key is protected by a passphrase: fgd needs a key without one")
	}
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, signer, bytes.NewReader(payload), nil); err != nil {
		return nil, fmt.Errorf("OpenPGP signing failed: %v", err)
	}
	return b.Bytes(), nil
}

func signSSH(key string, payload []byte) ([]byte, error) {
	signer, err := ssh.ParsePrivateKey([]byte(key))
	if err != nil {
		var pe *ssh.PassphraseMissingError
		if errors.As(err, &pe) {
			return nil, errors.New("the ssh key is protected by a passphrase: fgd needs a key without one")
		}
		return nil, fmt.Errorf("neither an armored OpenPGP private key nor an ssh private key: %v", err)
	}
	sig, err := sshsig.Sign(bytes.NewReader(payload), signer, sshsig.HashSHA512, SSHNamespace)
	if err != nil {
		return nil, fmt.Errorf("ssh signing failed: %v", err)
	}
	return sshsig.Armor(sig), nil
}

// SignedPayload is what a commit's signature is over: the encoded commit
// without its signature headers, byte for byte as stored.
func SignedPayload(c *object.Commit) ([]byte, error) {
	obj := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(obj); err != nil {
		return nil, fmt.Errorf("git: encode commit %s: %w", c.Hash, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
