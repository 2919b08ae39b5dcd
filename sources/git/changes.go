package git

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ChangedPaths returns the paths (slash-separated, sorted, both sides of a
// rename) that differ between the trees of commits from and to. When either
// commit is not in the local (shallow) clone it returns an error wrapping
// ErrUnknownBase: the caller cannot tell what moved and wakes every fabric.
func (r *Repo) ChangedPaths(ctx context.Context, from, to plumbing.Hash) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changedPaths(ctx, from, to)
}

func (r *Repo) changedPaths(ctx context.Context, from, to plumbing.Hash) ([]string, error) {
	if from == to {
		return nil, nil
	}
	var trees [2]*object.Tree
	for i, h := range []plumbing.Hash{from, to} {
		c, err := r.commit(h)
		if err != nil {
			return nil, fmt.Errorf("git: changes %s..%s: %w", from, to, err)
		}
		if c == nil {
			return nil, fmt.Errorf("git: changes %s..%s: %s: %w", from, to, h, ErrUnknownBase)
		}
		if trees[i], err = c.Tree(); err != nil {
			return nil, fmt.Errorf("git: changes %s..%s: %w", from, to, err)
		}
	}
	changes, err := object.DiffTreeWithOptions(ctx, trees[0], trees[1], &object.DiffTreeOptions{})
	if err != nil {
		return nil, fmt.Errorf("git: changes %s..%s: %w", from, to, err)
	}
	seen := map[string]bool{}
	var paths []string
	for _, ch := range changes {
		for _, p := range []string{ch.From.Name, ch.To.Name} {
			if p != "" && !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	return paths, nil
}

// Touches reports whether any of the changed paths is sub (an FGD path,
// "." for the root) or below it.
func Touches(paths []string, sub string) bool {
	clean, err := CleanPath(sub)
	if err != nil {
		return true
	}
	if clean == "." {
		return len(paths) > 0
	}
	for _, p := range paths {
		if p == clean || strings.HasPrefix(p, clean+"/") {
			return true
		}
	}
	return false
}

// ensureCommit fetches when the clone lacks commit h, and reports whether
// it has it then. Callers hold r.mu.
func (r *Repo) ensureCommit(ctx context.Context, h plumbing.Hash) (bool, error) {
	if c, err := r.commit(h); err != nil || c != nil {
		return c != nil, err
	}
	if _, err := r.fetch(ctx); err != nil {
		return false, err
	}
	c, err := r.commit(h)
	return c != nil, err
}
