package gitwrite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ErrRejected is wrapped by Push's error when the remote branch was not
// where the push expected it: someone else pushed meanwhile.
var ErrRejected = errors.New("push rejected: the remote branch has commits that are not in the local clone (non-fast-forward)")

// Push sends the local branch of repo to the same branch of remote, as a
// compare-and-swap: the remote takes it only while its branch is still at
// expect (the head the commits were made on), and a push is never forced.
// A refusal wraps ErrRejected: the caller updates, redoes its change and
// pushes again. A branch already there is no error.
func Push(ctx context.Context, repo *gogit.Repository, remote string, branch plumbing.ReferenceName, expect plumbing.Hash, auth transport.AuthMethod) error {
	err := repo.PushContext(ctx, &gogit.PushOptions{
		RemoteName: remote,
		RefSpecs:   []gitconfig.RefSpec{gitconfig.RefSpec(fmt.Sprintf("%s:%s", branch, branch))},
		Auth:       auth,
		// Refused by the remote when the branch moved since expect.
		RequireRemoteRefs: []gitconfig.RefSpec{gitconfig.RefSpec(fmt.Sprintf("%s:%s", expect, branch))},
	})
	switch {
	case errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case isRejection(err):
		return fmt.Errorf("%w: %s", ErrRejected, err.Error())
	}
	return err
}

// isRejection tells a refused non-fast-forward from other push failures, by
// go-git's and git-receive-pack's words.
func isRejection(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gogit.ErrForceNeeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "required to be", "failed to lock", "stale info", "cannot lock ref", "failed to update ref"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
