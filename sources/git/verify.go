package git

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/fgdproject/fgd/internal/config"
)

// Unsigned is the signer of a commit without a signature.
const Unsigned = "unsigned"

// maxVerifyWalk bounds the commits that verify mode all checks between the
// last verified commit and a new head, and so the depth fetched to find
// them.
const maxVerifyWalk = 1000

// verifiedRef keeps the last verified commit in the clone, so mode all
// knows where to start after a restart.
const verifiedRef = plumbing.ReferenceName("refs/fgd/verified")

// VerifyError is a revision that failed signature verification: it is
// never checked out, ingested or applied.
type VerifyError struct {
	Commit  string // the commit that failed
	Signer  string // who signed it, or Unsigned
	Reason  string
	Trusted string // the trusted keys and their files
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("commit %s (signer: %s) failed signature verification: %s", e.Commit, e.Signer, e.Reason)
}

// VerificationFailure names the commit that failed and its signer, for the
// reconciler's events.
func (e *VerifyError) VerificationFailure() (commit, signer string) { return e.Commit, e.Signer }

// KeyFileError is a key file of the signing settings (a trust file, the
// signing key) that cannot be used: the fabric needs it fixed. Its text
// never holds the key.
type KeyFileError struct {
	Key string // the config key, e.g. verify.openpgp_keyring_file
	Err error
}

func (e *KeyFileError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyFileError) Unwrap() error { return e.Err }

// verifyHead checks that head, fetched and not yet checked out, may be
// used: with verification on, its signature (mode head), or that of every
// commit since the last verified one (mode all), must come from a trusted
// key. It records the head's signer. Callers hold r.mu.
func (r *Repo) verifyHead(ctx context.Context, head plumbing.Hash) error {
	v := r.current().Verify
	if v == (config.GitVerify{}) {
		r.forgetVerified()
		return nil
	}
	err := r.verifyCommits(ctx, v, head)
	r.o.Metrics.verified(r.remote, err)
	if err != nil {
		r.log.Warn("revision refused: signature verification failed", "revision", head.String(), "err", err)
		return err
	}
	if r.verified == head {
		return nil
	}
	r.log.Info("revision verified", "revision", head.String(), "signer", r.signer)
	r.verified = head
	if err := r.setRef(verifiedRef, head); err != nil {
		r.log.Warn("cannot record the verified revision in the clone", "err", err)
	}
	return nil
}

// verifyOwn checks fgd's own new commit h as the next sync will, before
// the branch moves to it: a signing key whose public half is not trusted
// would otherwise push a commit that stalls every fabric of the branch.
// It records the commit's signer. Callers hold r.mu.
func (r *Repo) verifyOwn(h plumbing.Hash) error {
	v := r.current().Verify
	if v == (config.GitVerify{}) {
		return nil
	}
	t, err := loadTrust(v)
	if err != nil {
		return err
	}
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return err
	}
	signer, err := t.verifyCommit(c)
	if err != nil {
		return &KeyFileError{Key: "author.signing_key_file", Err: fmt.Errorf(
			"fgd's own commit would fail its verification (%v): add the public key of the signing key to verify's trusted keys", err)}
	}
	r.signer = signer
	return nil
}

// verifyCommits checks head, and in mode all the history below it, and
// records the head's signer.
func (r *Repo) verifyCommits(ctx context.Context, v config.GitVerify, head plumbing.Hash) error {
	t, err := loadTrust(v)
	if err != nil {
		return err
	}
	c, err := r.commit(head)
	if err != nil || c == nil {
		return fmt.Errorf("git: read commit %s in %s: %v", head, r.gitDir(), err)
	}
	signer, err := t.verifyCommit(c)
	if err != nil {
		return err
	}
	if v.Mode == config.VerifyAll {
		if err := r.verifyHistory(ctx, t, c); err != nil {
			return err
		}
	}
	r.signer = signer
	return nil
}

// verifyHistory checks every commit reachable from head's parents down to
// the last verified commit, following every parent of a merge, fetching
// deeper when a shallow clone lacks them. A walk that ends at the
// history's roots without meeting it has checked a complete history, which
// is as good. Without a last verified commit (the first verification of a
// clone) the head alone is checked: trust starts there.
func (r *Repo) verifyHistory(ctx context.Context, t *trust, head *object.Commit) error {
	last := r.lastVerified()
	if last.IsZero() || last == head.Hash {
		return nil
	}
	seen := map[plumbing.Hash]bool{head.Hash: true}
	queue := append([]plumbing.Hash(nil), head.ParentHashes...)
	fetched := 1 // fetches are of depth 1
	for n := 0; len(queue) > 0; {
		h := queue[0]
		queue = queue[1:]
		if h == last || seen[h] {
			continue
		}
		seen[h] = true
		if n++; n > r.maxWalk {
			return &VerifyError{Commit: head.Hash.String(), Signer: notChecked, Trusted: t.describe(),
				Reason: fmt.Sprintf("more than %d commits lie between it and the last verified commit %s (verify mode all checks each): "+
					"check the branch's history, then remove fgd's clone in its state directory to start trust afresh at the head", r.maxWalk, last)}
		}
		c, err := r.deepCommit(ctx, h, n, &fetched)
		if errors.Is(err, errHistoryGone) {
			return &VerifyError{Commit: head.Hash.String(), Signer: notChecked, Trusted: t.describe(), Reason: err.Error()}
		}
		if err != nil {
			return err
		}
		if _, err := t.verifyCommit(c); err != nil {
			var ve *VerifyError
			if errors.As(err, &ve) {
				ve.Reason = fmt.Sprintf("it lies between the head %s and the last verified commit %s, and verify mode all needs each signed: %s", head.Hash, last, ve.Reason)
			}
			return err
		}
		queue = append(queue, c.ParentHashes...)
	}
	return nil
}

// forgetVerified drops the record of the last verified commit when
// verification is off, so that turning it on again later starts trust
// afresh instead of walking back to a commit of long ago. Callers hold
// r.mu.
func (r *Repo) forgetVerified() {
	r.signer, r.verified = "", plumbing.ZeroHash
	if r.repo == nil || r.ref(verifiedRef).IsZero() {
		return
	}
	if err := r.repo.Storer.RemoveReference(verifiedRef); err != nil {
		r.log.Warn("cannot remove the record of the last verified revision", "err", err)
	}
}

// lastVerified is the last commit that passed verification, from memory or
// from the clone's record of it. Callers hold r.mu.
func (r *Repo) lastVerified() plumbing.Hash {
	if r.verified.IsZero() {
		r.verified = r.ref(verifiedRef)
	}
	return r.verified
}

// errHistoryGone is a commit of the walk that the remote does not serve
// within the walk's bound.
var errHistoryGone = errors.New("the history since the last verified commit cannot be checked")

// notChecked is the signer of a refusal that did not get to check one.
const notChecked = "not checked"

// deepCommit returns commit h, the n-th of the walk, fetching a deeper
// history when the shallow clone lacks it; *fetched is the depth fetched
// so far. Callers hold r.mu.
func (r *Repo) deepCommit(ctx context.Context, h plumbing.Hash, n int, fetched *int) (*object.Commit, error) {
	for {
		c, err := r.commit(h)
		if err != nil || c != nil {
			return c, err
		}
		if *fetched > r.maxWalk {
			return nil, fmt.Errorf("%w (verify mode all): commit %s below it is not on the remote within %d commits of its head, "+
				"and the last verified commit %s was not met before it; check the branch's history, then remove fgd's clone in its "+
				"state directory to start trust afresh at the head", errHistoryGone, h, r.maxWalk, r.verified)
		}
		*fetched = min(max(n+16, 4**fetched), r.maxWalk+1)
		if _, err := r.fetchDepth(ctx, *fetched); err != nil {
			return nil, err
		}
		r.log.Debug("fetched a deeper history to verify every commit", "depth", *fetched)
	}
}
