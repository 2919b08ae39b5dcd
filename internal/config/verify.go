package config

// signing checks the commit-signature settings of a git source: the trust
// files of verify and fgd's own signing key. The trust files hold public
// keys, so like known_hosts_file they only have to exist; the signing key is
// a secret and is refused when every user can read it.
func (v *validator) signing(p string, g *GitSource) {
	v.secretFile(p+".author.signing_key_file", g.Author.SigningKeyFile)
	vf := g.Verify
	if vf == nil {
		return
	}
	vp := p + ".verify"
	v.oneOf(vp+".mode", vf.Mode, VerifyHead, VerifyAll)
	if vf.OpenPGPKeyringFile == "" && vf.SSHAllowedSignersFile == "" {
		v.add(vp, "needs the trusted keys: openpgp_keyring_file (armored public keys), ssh_allowed_signers_file (git's allowed-signers format), or both")
	}
	for _, f := range []struct{ key, file string }{
		{"openpgp_keyring_file", vf.OpenPGPKeyringFile},
		{"ssh_allowed_signers_file", vf.SSHAllowedSignersFile},
	} {
		if f.file != "" && v.path(vp+"."+f.key, f.file, false) {
			if msg := checkPlainFile(f.file); msg != "" {
				v.add(vp+"."+f.key, "%s", msg)
			}
		}
	}
	if g.Push && g.Author.SigningKeyFile == "" {
		v.add(p+".author.signing_key_file", "is required with verify and push: fgd's own commits must be signed by a trusted key, "+
			"or its next sync refuses them; set it (and add its public key to the trusted keys) or set push: false")
	}
}
