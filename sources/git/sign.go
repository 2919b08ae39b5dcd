package git

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/fgdproject/fgd/internal/config"
)

// sign signs the commit cm with the key in file, as git does: over the
// encoded commit without the signature header, an armored detached OpenPGP
// signature or an ssh signature (namespace git, sha512) in the gpgsig
// header. The key is read on every commit, so a rotated key needs no
// restart; an unusable key is a *KeyFileError that never quotes the key.
func sign(cm *object.Commit, file string) error {
	keyErr := func(format string, args ...any) error {
		return &KeyFileError{Key: "author.signing_key_file", Err: fmt.Errorf(format, args...)}
	}
	key, err := config.ReadSecret(file)
	if err != nil {
		return keyErr("%w", err)
	}
	payload, err := signedPayload(cm)
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
	sig, err := sshsig.Sign(bytes.NewReader(payload), signer, sshsig.HashSHA512, sshNamespace)
	if err != nil {
		return nil, fmt.Errorf("ssh signing failed: %v", err)
	}
	return sshsig.Armor(sig), nil
}
