package git

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"
)

// SetAfterPoll makes p call f after each poll, once its subscribers are
// triggered; set it before Run.
func SetAfterPoll(p *Poller, f func()) { p.afterPoll = f }

// Bounds of a clone's object store past which Update compacts it.
const (
	MaxPacks   = maxPacks
	MaxLoose   = maxLoose
	MaxHistory = maxHistory
)

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

// Steps of a compaction after which CrashCompaction stops it.
const (
	CompactPackWritten    = compactPackWritten
	CompactShallowWritten = compactShallowWritten
	CompactHalfRemoved    = compactHalfRemoved
)

// CrashCompaction compacts r's clone and stops after step, leaving it on
// disk as a process killed there would; close r and open the directory
// again to carry on as a restarted daemon.
func CrashCompaction(r *Repo, step int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crashAfter = step
	defer func() { r.crashAfter = 0 }()
	if err := r.compact(); !errors.Is(err, errCrashed) {
		return fmt.Errorf("compaction did not stop at step %d: %v", step, err)
	}
	return nil
}

// FailCompactions makes every compaction of r stop after step, as a failing
// disk would, until called with 0.
func FailCompactions(r *Repo, step int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crashAfter = step
}

// FileCounts returns how many files of r's working tree were read and
// hashed, and written by checkouts, since r was opened.
func FileCounts(r *Repo) (hashed, written int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stat.hashed, r.stat.written
}

// SetStatGranularity makes r's stat cache compare file times at the
// granularity g, as on a file system whose clock ticks every g.
func SetStatGranularity(r *Repo, g time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stat.gran = g
	r.stat.reset()
}
