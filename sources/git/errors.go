package git

import (
	"errors"
	"fmt"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fgdproject/fgd/sources/git/gitwrite"
)

var (
	// ErrPushRejected is returned by Push when the remote branch moved since
	// the last Update (a non-fast-forward): Update again, redo the change and
	// push again. fgd never forces.
	ErrPushRejected = gitwrite.ErrRejected
	// ErrUnknownBase is returned by ChangedPaths when a commit is not in the
	// local (shallow) clone, so the changes cannot be computed: wake every
	// fabric of the repository.
	ErrUnknownBase = errors.New("commit not in the local clone")
)

// Kind tells what the retry policy should do with an Error.
type Kind int

// Kinds of Error.
const (
	// KindTransient errors (network, timeouts, server errors) are retried
	// with backoff.
	KindTransient Kind = iota
	// KindAuth errors (bad or unreadable credentials, a refused or unknown host
	// key) stall the fabric until its config or the remote changes.
	KindAuth
	// KindNotFound errors (no such repository or branch) stall the fabric until
	// its config or the remote changes.
	KindNotFound
)

func (k Kind) String() string {
	switch k {
	case KindAuth:
		return "auth"
	case KindNotFound:
		return "not-found"
	}
	return "transient"
}

// Error is a failed operation on a remote. Its text names the operation and
// the remote (without credentials) and says what to do; it never holds a
// secret.
type Error struct {
	Op     string // ls-remote, clone, fetch, push
	Remote string // the URL without userinfo
	Kind   Kind
	Err    error

	text string // Err's message with the secrets of the attempt removed
}

func (e *Error) Error() string {
	text := e.text
	if text == "" && e.Err != nil {
		text = e.Err.Error()
	}
	// Servers' reasons come with newlines and empty tails.
	text = strings.TrimRight(strings.Join(strings.Fields(text), " "), ": ")
	msg := fmt.Sprintf("git %s %s: %s", e.Op, e.Remote, text)
	switch {
	case strings.Contains(text, "knownhosts: key is unknown"):
		msg += " (the server's host key is not in auth.known_hosts_file: add it after checking its fingerprint with the server's operator)"
	case strings.Contains(text, "knownhosts: key mismatch"):
		msg += " (the server's host key differs from the one in auth.known_hosts_file: this may be an attack; if the key really changed, check and replace it in the file)"
	case e.Kind == KindAuth:
		msg += " (check the credentials and host key in the fabric's source.git.auth; retried when the config or the remote changes)"
	case e.Kind == KindNotFound:
		msg += " (check source.git.url and branch; retried when the config or the remote changes)"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsAuth reports whether err comes from bad credentials or a refused host
// key: the fabric is stalled until its config or the remote changes.
func IsAuth(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind == KindAuth
	}
	return classify(err) == KindAuth
}

// IsNotFound reports whether err says the repository or the branch does not
// exist: the fabric is stalled until its config or the remote changes.
func IsNotFound(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind == KindNotFound
	}
	return classify(err) == KindNotFound
}

// errAuthConfig marks a credential that could not be loaded (an unreadable
// secret or key file): the fabric needs its config fixed.
type errAuthConfig struct{ err error }

func (e errAuthConfig) Error() string { return e.err.Error() }
func (e errAuthConfig) Unwrap() error { return e.err }

// errBranchNotFound is the remote having no such branch.
type errBranchNotFound struct{ branch string }

func (e errBranchNotFound) Error() string {
	return fmt.Sprintf("branch %q does not exist on the remote", e.branch)
}

// classify tells the kind of an error from go-git's transports.
func classify(err error) Kind {
	var (
		ac  errAuthConfig
		bnf errBranchNotFound
		ke  *knownhosts.KeyError
		re  *knownhosts.RevokedError
	)
	switch {
	case err == nil:
		return KindTransient
	case errors.As(err, &ac), errors.As(err, &ke), errors.As(err, &re),
		errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod):
		return KindAuth
	case errors.As(err, &bnf),
		errors.Is(err, transport.ErrRepositoryNotFound),
		errors.Is(err, transport.ErrEmptyRemoteRepository),
		errors.Is(err, gogit.ErrRepositoryNotExists):
		return KindNotFound
	}
	// The ssh package reports these as plain text through go-git.
	msg := err.Error()
	for _, s := range []string{"unable to authenticate", "no supported methods remain", "knownhosts:", "host key mismatch", "ssh: handshake failed: ssh: host key"} {
		if strings.Contains(msg, s) {
			return KindAuth
		}
	}
	return KindTransient
}

// scrub removes every occurrence of the secrets from s: go-git's messages
// are not ours, so nothing they say is trusted to be free of them.
func scrub(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= 3 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}
