package git

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

func (r *Repo) gitDir() string { return filepath.Join(r.o.Dir, gogit.GitDirName) }

func (r *Repo) trackingRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, r.o.Branch)
}

func (r *Repo) branchRef() plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(r.o.Branch)
}

// objectCacheSize bounds each clone's cache of decoded objects. go-git's
// default (96 MiB) is per clone: a daemon with many git fabrics would keep
// growing towards that many times 96 MiB. A sync reads again only a few
// trees (the root, managed/ and the folder of the changed kind, about
// 100 KiB for 2,500 entries), as commit and checkout skip the files whose
// stat is unchanged: 2 MiB holds them. 8 MiB made no sync faster
// (BenchmarkGitStepOneChange5000) and cost 20 fabrics 30 MiB of RSS
// (BenchmarkGitFleet5000).
const objectCacheSize = 2 * cache.MiByte

func (r *Repo) newStorage() *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(r.gitDir()), cache.NewObjectLRU(objectCacheSize),
		filesystem.Options{ExclusiveAccess: true, MaxOpenDescriptors: 16})
}

// openExisting opens the clone in Dir when there is one; a clone of another
// remote, or one go-git cannot open, is an error.
func (r *Repo) openExisting() error {
	if _, err := os.Stat(r.gitDir()); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	r.removeTemps()
	repo, err := gogit.Open(r.newStorage(), osfs.New(r.o.Dir))
	if err != nil {
		return fmt.Errorf("open %s: %w", r.gitDir(), err)
	}
	rc, err := repo.Remote(remoteName)
	if err != nil {
		return fmt.Errorf("open %s: %w", r.gitDir(), err)
	}
	if urls := rc.Config().URLs; len(urls) != 1 || urls[0] != r.gitURL {
		return fmt.Errorf("%s is a clone of another remote", r.gitDir())
	}
	// go-git rewrites a ref file in place (truncate, then write): a crash
	// between the two leaves it empty, and every later fetch of the clone
	// fails with "ref file is empty". Such a clone is cloned again.
	refs, err := repo.References()
	if err == nil {
		err = refs.ForEach(func(*plumbing.Reference) error { return nil })
	}
	if err != nil {
		return fmt.Errorf("open %s: read its refs: %w", r.gitDir(), err)
	}
	r.repo = repo
	return nil
}

// removeTemps removes the temp files of writes that a crash interrupted
// (loose objects and packs being written, packed-refs and the shallow list
// being rewritten): go-git never looks at them again, so each crash would leave
// them for good. Callers make sure no write is under way: Open, before
// anything writes in the clone, or a caller holding r.mu.
func (r *Repo) removeTemps() {
	var left []string
	for _, pattern := range []string{
		filepath.Join(r.gitDir(), "objects", "pack", "tmp_obj_*"),
		filepath.Join(r.gitDir(), "objects", "pack", "tmp_pack_*"),
		filepath.Join(r.gitDir(), "._packed-refs*"),
		filepath.Join(r.gitDir(), shallowTempPrefix+"*"),
	} {
		m, _ := filepath.Glob(pattern)
		left = append(left, m...)
	}
	for _, p := range left {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			r.log.Warn("cannot remove a temp file an interrupted run left in the clone", "file", p, "err", err)
		}
	}
	if len(left) > 0 {
		r.log.Info("removed the temp files an interrupted run left in the clone", "dir", r.o.Dir, "files", len(left))
	}
}

// Close releases the clone's open files; the Repo opens them again when
// used after it.
func (r *Repo) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closeStorage()
}

func (r *Repo) closeStorage() error {
	if r.repo == nil {
		return nil
	}
	if s, ok := r.repo.Storer.(*filesystem.Storage); ok {
		return s.Close()
	}
	return nil
}

// discardClone removes the clone (git directory and working tree).
func (r *Repo) discardClone() error {
	_ = r.closeStorage()
	r.repo = nil
	r.stat.reset()
	if err := os.RemoveAll(r.o.Dir); err != nil {
		return fmt.Errorf("git: remove the clone %s: %w (remove it by hand; fgd clones again)", r.o.Dir, err)
	}
	return nil
}

// ensureClone creates an empty clone (no objects yet) when there is none,
// and reports whether it did. Callers hold r.mu.
func (r *Repo) ensureClone() (created bool, err error) {
	if r.repo != nil {
		return false, nil
	}
	if err := os.MkdirAll(r.o.Dir, 0o700); err != nil {
		return false, fmt.Errorf("git: create the clone directory: %w", err)
	}
	repo, err := gogit.InitWithOptions(r.newStorage(), osfs.New(r.o.Dir), gogit.InitOptions{DefaultBranch: r.branchRef()})
	if err != nil {
		return false, fmt.Errorf("git: initialize the clone in %s: %w", r.o.Dir, err)
	}
	_, err = repo.CreateRemote(&gitconfig.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{r.gitURL},
		Fetch: []gitconfig.RefSpec{r.fetchSpec()},
	})
	if err != nil {
		return false, fmt.Errorf("git: configure the clone in %s: %w", r.o.Dir, err)
	}
	r.repo = repo
	return true, nil
}

func (r *Repo) fetchSpec() gitconfig.RefSpec {
	return gitconfig.RefSpec(fmt.Sprintf("+%s:%s", r.branchRef(), r.trackingRef()))
}

func (r *Repo) packCount() int {
	m, _ := filepath.Glob(filepath.Join(r.gitDir(), "objects", "pack", "*.pack"))
	return len(m)
}

// commit returns the commit h, or nil when the clone does not have it.
// Callers hold r.mu.
func (r *Repo) commit(h plumbing.Hash) (*object.Commit, error) {
	if r.repo == nil || h.IsZero() {
		return nil, nil
	}
	c, err := r.repo.CommitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, nil
	}
	return c, err
}

// setRef points name at h. Callers hold r.mu.
func (r *Repo) setRef(name plumbing.ReferenceName, h plumbing.Hash) error {
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		return fmt.Errorf("git: update %s in %s: %w", name, r.gitDir(), err)
	}
	return nil
}

// ref returns the hash name points at, or the zero hash. Callers hold r.mu.
func (r *Repo) ref(name plumbing.ReferenceName) plumbing.Hash {
	if r.repo == nil {
		return plumbing.ZeroHash
	}
	ref, err := r.repo.Storer.Reference(name)
	if err != nil {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}
