// Package git is the source of FGDs that live in git repositories. A Repo is
// one clone of one (URL, branch) in the state directory, shared by every
// fabric whose FGD is a path in it: a cheap remote-head check (one ref
// advertisement) comes before any fetch, fetches are shallow and of the one
// branch, the working tree is reset to the fetched head on every Update, and
// Commit and Push write back one commit per change, never forcing (the
// writing itself is package gitwrite's; this package holds the clone). The
// working tree is read and written through go-git's object store, not its
// worktree, which is several times slower at checkout. A Poller checks the
// head at an interval and wakes only the fabrics whose path a change touched.
package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/giturl"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout = 30 * time.Second
	DefaultBranch  = "main"
	remoteName     = "origin"
	// ownCommits is how many of its own commits a Repo remembers, so that a
	// poll that sees them wakes nobody.
	ownCommits = 256
)

// Options configure a Repo.
type Options struct {
	// URL is the remote: https://, http://, ssh://, scp-like user@host:path,
	// or file://.
	URL string
	// Branch is the one branch fetched and pushed; default "main".
	Branch string
	// Auth holds the credentials, by file.
	Auth Auth
	// Timeout bounds every network operation; default 30s.
	Timeout time.Duration
	// Dir is where the clone lives (its .git and working tree), e.g. the
	// result of DirFor. It is created when absent.
	Dir string
	// Author is the author and committer of fgd's commits, and the key
	// that signs them.
	Author config.Author
	// Verify, when not zero, requires signed revisions (see Worktree.Update).
	Verify config.GitVerify
	// Logger receives the repository's logs; nil discards them.
	Logger *slog.Logger
	// Metrics counts network operations; nil counts nothing.
	Metrics *Metrics
	// Clock gives the time of commits; nil means time.Now.
	Clock func() time.Time
}

// Endpoint parses a remote URL as every part of fgd does (giturl.Parse) and
// returns go-git's endpoint for it, parsed from the form go-git reads alike
// (giturl.URL.GoGit): the source gives go-git that form everywhere.
func Endpoint(raw string) (giturl.URL, *transport.Endpoint, error) {
	u, err := giturl.Parse(raw)
	if err != nil {
		return giturl.URL{}, nil, fmt.Errorf("git: the remote URL %w", err)
	}
	ep, err := transport.NewEndpoint(u.GoGit())
	if err != nil {
		// The parser's message may quote the URL, with its userinfo.
		return giturl.URL{}, nil, fmt.Errorf("git: %s is not a usable remote URL", u.WithoutUser())
	}
	return u, ep, nil
}

// DirFor returns the clone directory of (url, branch) below the state
// directory: <stateDir>/git/<first 16 hex digits of sha256(url "\n" branch)>.
func DirFor(stateDir, url, branch string) string {
	sum := sha256.Sum256([]byte(url + "\n" + branch))
	return filepath.Join(stateDir, "git", hex.EncodeToString(sum[:])[:16])
}

// Repo is one clone of one (URL, branch). Fabrics of a monorepo share it:
// Do serializes their use of the working tree. Its methods are safe for
// concurrent use.
type Repo struct {
	o        Options // its Auth, Timeout and Author as opened; settings holds the current ones
	settings atomic.Pointer[Settings]
	remote   string // URL without userinfo: messages, logs, metric labels
	gitURL   string // the URL as go-git is given it (giturl.URL.GoGit)
	endpoint *transport.Endpoint
	log      *slog.Logger
	now      func() time.Time

	work chan struct{} // a token: held by Do

	mu   sync.Mutex        // guards repo and the clone on disk: go-git's storage is not safe for concurrent use
	repo *gogit.Repository // nil until the clone exists
	// base is the remote head the branch was last reset to or pushed as:
	// a push requires the remote branch to still be there.
	base plumbing.Hash
	// verified is the last revision that passed signature verification
	// (zero: none yet, or verification is off), signer who signed it.
	verified plumbing.Hash
	signer   string
	maxWalk  int // maxVerifyWalk; tests lower it
	// crashAfter, set by tests, stops compact after that step, as if the
	// process died there.
	crashAfter int
	// stat caches the working tree's blob hashes by file stat (statCache).
	stat *statCache

	ownMu  sync.Mutex
	own    map[plumbing.Hash]bool
	ownLog []plumbing.Hash // insertion order, to forget the oldest
}

// Open prepares the Repo of o; it uses no network, and opens an existing
// clone in o.Dir or leaves its creation to the first Update.
func Open(o Options) (*Repo, error) {
	if o.URL == "" {
		return nil, errors.New("git: a remote URL is required")
	}
	if o.Dir == "" || !filepath.IsAbs(o.Dir) {
		return nil, fmt.Errorf("git: the clone directory %q must be an absolute path", o.Dir)
	}
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if !plumbing.NewBranchReferenceName(o.Branch).IsBranch() || plumbing.ReferenceName("refs/heads/"+o.Branch).Validate() != nil {
		return nil, fmt.Errorf("git: %q is not a valid branch name", o.Branch)
	}
	u, ep, err := Endpoint(o.URL)
	if err != nil {
		return nil, err
	}
	o.Timeout, o.Author = withDefaults(o.Timeout, o.Author)
	r := &Repo{
		o:       o,
		remote:  u.WithoutUser(),
		gitURL:  u.GoGit(),
		log:     o.Logger,
		now:     o.Clock,
		work:    make(chan struct{}, 1),
		own:     map[plumbing.Hash]bool{},
		maxWalk: maxVerifyWalk,
		stat:    newStatCache(),
	}
	r.settings.Store(&Settings{Auth: o.Auth, Timeout: o.Timeout, Author: o.Author, Verify: o.Verify})
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.endpoint = ep
	r.log = r.log.With("remote", r.remote, "branch", o.Branch)
	r.warnInsecure(o.Auth)
	if err := r.openExisting(); err != nil {
		r.log.Warn("the existing clone cannot be used and will be cloned again", "dir", o.Dir, "err", err)
		if err := r.discardClone(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Settings are the settings of a Repo that a reload may change while it
// runs: the next network operation or commit uses them.
type Settings struct {
	Auth    Auth
	Timeout time.Duration // 0: DefaultTimeout
	Author  config.Author // empty fields: fgd's defaults
	Verify  config.GitVerify
}

func withDefaults(timeout time.Duration, author config.Author) (time.Duration, config.Author) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if author.Name == "" {
		author.Name = config.DefaultAuthorName
	}
	if author.Email == "" {
		author.Email = config.DefaultAuthorEmail
	}
	return timeout, author
}

// current returns the settings in force.
func (r *Repo) current() *Settings { return r.settings.Load() }

// Reconfigure puts s in force for the next network operation and commit;
// one running now finishes with the settings it started with. It returns
// the names of the settings that changed (timeout, auth, author, verify), which it
// also logs.
func (r *Repo) Reconfigure(s Settings) (changed []string) {
	s.Timeout, s.Author = withDefaults(s.Timeout, s.Author)
	old := r.current()
	changed = config.RepoSettings{Timeout: old.Timeout, Auth: old.Auth, Author: old.Author, Verify: old.Verify}.
		Diff(config.RepoSettings{Timeout: s.Timeout, Auth: s.Auth, Author: s.Author, Verify: s.Verify})
	if len(changed) > 0 {
		r.settings.Store(&s)
		r.log.Info("repository settings changed by a reload", "changed", changed)
		r.warnInsecure(s.Auth)
	}
	return changed
}

// warnInsecure warns when auth turns ssh host key checking off.
func (r *Repo) warnInsecure(auth Auth) {
	if r.endpoint.Protocol == "ssh" && auth.InsecureSkipHostKeyCheck {
		r.log.Warn("ssh host key checking is off (insecure_skip_host_key_check): any server that answers at this address is trusted; set known_hosts_file instead")
	}
}

// Remote is the remote's URL without userinfo.
func (r *Repo) Remote() string { return r.remote }

// Branch is the branch the Repo fetches and pushes.
func (r *Repo) Branch() string { return r.o.Branch }

// Dir is the clone's directory.
func (r *Repo) Dir() string { return r.o.Dir }

// Do runs fn with exclusive use of the working tree: it serializes every
// fabric of the repository, so their syncs and pushes never race. It waits
// for the working tree or ctx. The Worktree is valid only inside fn.
func (r *Repo) Do(ctx context.Context, fn func(ctx context.Context, w *Worktree) error) error {
	select {
	case r.work <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.work }()
	w := &Worktree{r: r, valid: true}
	defer w.invalidate()
	err := fn(ctx, w)
	if err != nil {
		r.mu.Lock()
		r.afterFailure(err)
		r.mu.Unlock()
	}
	return err
}

// Seen records h as one of fgd's own commits, typically after a push, so
// that a poll seeing it wakes nobody. Commit records its commits itself.
func (r *Repo) Seen(h plumbing.Hash) {
	r.ownMu.Lock()
	defer r.ownMu.Unlock()
	if r.own[h] {
		return
	}
	r.own[h] = true
	r.ownLog = append(r.ownLog, h)
	if len(r.ownLog) > ownCommits {
		delete(r.own, r.ownLog[0])
		r.ownLog = r.ownLog[1:]
	}
}

func (r *Repo) isOwn(h plumbing.Hash) bool {
	r.ownMu.Lock()
	defer r.ownMu.Unlock()
	return r.own[h]
}

// wrap turns an error of a network operation into an *Error for the remote,
// with its kind and without the secrets of the attempt.
func (r *Repo) wrap(op string, err error, c credentials) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Remote: r.remote, Kind: classify(err), Err: err, text: scrub(err.Error(), c.secrets...)}
}
