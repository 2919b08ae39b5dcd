package git

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/sources/git/gitwrite"
)

// maxBlobBytes bounds a file of the working tree read into memory to be
// stored or compared; far above any FGD file, it only stops a runaway read.
const maxBlobBytes = gitwrite.MaxBlobBytes

// Commit records the working tree below sub as one commit on the branch
// (gitwrite.Commit: every addition, modification and deletion there, and
// nothing outside it), with Options.Author as author and committer and the
// clock's time. When the tree below sub is unchanged it makes no commit and
// returns the current head and false. The commit is checked as the next
// sync will verify it before the branch moves to it.
func (w *Worktree) Commit(ctx context.Context, sub, message string) (plumbing.Hash, bool, error) {
	if err := w.check(); err != nil {
		return plumbing.ZeroHash, false, err
	}
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, false, err
	}
	dir, err := w.Path(sub)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	clean, _ := CleanPath(sub)
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil {
		return plumbing.ZeroHash, false, errors.New("git: Commit before Update: there is no clone")
	}
	head := r.ref(r.branchRef())
	parent, err := r.commit(head)
	if err != nil || parent == nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: the branch head %s is not in %s: %v", head, r.gitDir(), err)
	}
	a := r.current().Author
	h, committed, err := gitwrite.Commit(r.repo.Storer, gitwrite.Change{
		Parent: parent, Path: clean, Dir: dir, Message: message,
		Author: gitwrite.Author{Name: a.Name, Email: a.Email, When: r.now(), SigningKeyFile: a.SigningKeyFile},
		Stat:   r.stat,
	})
	r.stat.stamp(r.gitDir())
	var ke *gitwrite.KeyError
	if errors.As(err, &ke) {
		err = fmt.Errorf("git: Commit: %w", &KeyFileError{Key: "author.signing_key_file", Err: ke.Err})
	}
	if err != nil || !committed {
		return h, false, err
	}
	if err := r.verifyOwn(h); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git: Commit: %w", err)
	}
	if err := r.setRef(r.branchRef(), h); err != nil {
		return plumbing.ZeroHash, false, err
	}
	r.Seen(h)
	r.log.Info("committed", "path", clean, "revision", h.String())
	return h, true, nil
}
