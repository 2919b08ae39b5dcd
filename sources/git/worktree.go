package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Worktree is the working tree of a Repo, valid only inside Repo.Do.
type Worktree struct {
	r     *Repo
	valid bool
}

var errWorktreeDone = errors.New("git: the Worktree is used outside Repo.Do")

func (w *Worktree) invalidate() { w.valid = false }

func (w *Worktree) check() error {
	if !w.valid {
		return errWorktreeDone
	}
	return nil
}

// Update brings the working tree to the remote branch's head: it clones
// when there is no clone (shallow, depth 1, the branch only), fetches what
// is new only when the head is a commit the clone lacks, then resets the
// working tree to it, removing untracked files: local edits never survive.
// A clone past its bounds is compacted first. It returns the head's hash.
func (w *Worktree) Update(ctx context.Context) (plumbing.Hash, error) {
	if err := w.check(); err != nil {
		return plumbing.ZeroHash, err
	}
	r := w.r
	head, err := r.RemoteHead(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo != nil && r.needsCompaction() {
		if err := r.compactOrKeep(); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	rev, err := r.reset(ctx, head)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// A clone damaged on disk (a crash, a full disk, a hand): clone again.
		r.log.Warn("the clone lacks objects and is cloned afresh", "dir", r.o.Dir, "err", err)
		if err := r.discardClone(); err != nil {
			return plumbing.ZeroHash, err
		}
		rev, err = r.reset(ctx, head)
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	r.base = rev
	r.log.Debug("working tree updated", "revision", rev.String())
	return rev, nil
}

// reset fetches head when the clone lacks it (the remote may have moved
// since the check: the fetched head wins), points the branch at it and
// checks it out. Callers hold r.mu.
func (r *Repo) reset(ctx context.Context, head plumbing.Hash) (plumbing.Hash, error) {
	c, err := r.commit(head)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("git: read commit %s in %s: %w", head, r.gitDir(), err)
	}
	if c == nil {
		if head, err = r.fetch(ctx); err != nil {
			return plumbing.ZeroHash, err
		}
	} else if err := r.setRef(r.trackingRef(), head); err != nil {
		return plumbing.ZeroHash, err
	}
	// Verified before the branch and the working tree move: what fails
	// never reaches the FGD that ingestion and the sinks read.
	if err := r.verifyHead(ctx, head); err != nil {
		r.restoreVerified()
		return plumbing.ZeroHash, err
	}
	if err := r.setRef(r.branchRef(), head); err != nil {
		return plumbing.ZeroHash, err
	}
	return head, r.checkout(head)
}

// restoreVerified puts the branch and the working tree back at the last
// verified revision, after a new one failed: a sync that changed the FGD
// before it leaves nothing behind. Callers hold r.mu.
func (r *Repo) restoreVerified() {
	last := r.lastVerified()
	if c, err := r.commit(last); err != nil || c == nil {
		return
	}
	if err := r.setRef(r.branchRef(), last); err == nil {
		if err := r.checkout(last); err != nil {
			r.log.Warn("cannot restore the working tree to the last verified revision", "revision", last.String(), "err", err)
		}
	}
}

// Signer names who signed the revision of the last Update or Commit: an
// OpenPGP key ID with its user ID, or ssh principals with the key's
// fingerprint. It is empty when the source does not verify signatures.
func (w *Worktree) Signer() string {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.signer
}

// Path returns the absolute path of the FGD at sub (the config's path,
// slash-separated, relative to the repository root; "." is the root) in
// the working tree. It is an error when sub leaves the repository, names
// .git, or passes through a symbolic link of the checked-out tree.
func (w *Worktree) Path(sub string) (string, error) {
	if err := w.check(); err != nil {
		return "", err
	}
	clean, err := CleanPath(sub)
	if err != nil {
		return "", err
	}
	p := w.r.o.Dir
	if clean == "." {
		return p, nil
	}
	for _, part := range strings.Split(clean, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("git: path %q: %w", sub, err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("git: path %q passes through the symbolic link %s in the repository: fgd does not follow it", sub, p)
		}
	}
	return filepath.Join(w.r.o.Dir, filepath.FromSlash(clean)), nil
}

// CleanPath checks an FGD path inside a repository and returns it cleaned,
// slash-separated, "." for the root.
func CleanPath(sub string) (string, error) {
	if sub == "" {
		return "", errors.New(`git: the FGD path is empty (use "." for the repository root)`)
	}
	if strings.Contains(sub, `\`) || strings.ContainsRune(sub, 0) {
		return "", fmt.Errorf("git: the FGD path %q must be slash-separated", sub)
	}
	if path.IsAbs(sub) {
		return "", fmt.Errorf("git: the FGD path %q must be relative to the repository root", sub)
	}
	clean := path.Clean(sub)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("git: the FGD path %q leaves the repository", sub)
	}
	for _, part := range strings.Split(clean, "/") {
		if strings.EqualFold(part, ".git") {
			return "", fmt.Errorf("git: the FGD path %q names .git", sub)
		}
	}
	return clean, nil
}

// Push sends the commits of the working tree's branch to the remote branch.
// It never forces: when the remote branch moved since the last Update, it
// returns an error wrapping ErrPushRejected (Update, redo, push again).
func (w *Worktree) Push(ctx context.Context) error {
	if err := w.check(); err != nil {
		return err
	}
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil || r.base.IsZero() {
		return errors.New("git: Push before Update: there is nothing to push")
	}
	local := r.ref(r.branchRef())
	if local == r.base {
		return nil
	}
	if err := r.push(ctx, r.base); err != nil {
		return err
	}
	r.Seen(local)
	r.base = local
	r.log.Info("pushed", "revision", local.String())
	return r.setRef(r.trackingRef(), local)
}
