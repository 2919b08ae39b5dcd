package git

import (
	"time"

	"golang.org/x/crypto/ssh"
)

// SetAfterPoll makes p call f after each poll, once its subscribers are
// triggered; set it before Run.
func SetAfterPoll(p *Poller, f func()) { p.afterPoll = f }

// MaxPacks is the number of pack files past which Update clones afresh.
const MaxPacks = maxPacks

// AllowedSigner is the signer an allowed-signers file trusts for key at
// when, or "" and why there is none.
func AllowedSigner(file []byte, key []byte, when time.Time) (signer, why string, err error) {
	signers, err := parseAllowedSigners(file)
	if err != nil {
		return "", "", err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(key)
	if err != nil {
		return "", "", err
	}
	s, why := (&trust{signers: signers}).sshSigner(pub, when)
	if s == nil {
		return "", why, nil
	}
	return s.name(), "", nil
}

// SetMaxVerifyWalk lowers the bound of verify mode all's walk; call it
// before the Repo is used.
func SetMaxVerifyWalk(r *Repo, n int) { r.maxWalk = n }
