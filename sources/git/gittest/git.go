// Package gittest builds real git remotes for tests: bare repositories made
// with the git CLI in a temporary directory, served over smart HTTP (git
// http-backend behind net/http/cgi, with basic auth and request counters) and
// over SSH (an in-process server running git-upload-pack and
// git-receive-pack, with public-key auth and a known_hosts file).
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Identity of the commits the helpers make, so tests can tell them from
// fgd's.
const (
	AuthorName  = "Someone Else"
	AuthorEmail = "someone@example.invalid"
)

// RequireGit skips the test when the git CLI is not installed.
func RequireGit(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		tb.Skip("the git CLI is not installed: these tests build real remotes with it (Debian: apt-get install -y git)")
	}
	return p
}

// Env is the environment of every git command the helpers run: no user or
// system configuration, a fixed identity, English messages.
func Env(home string) []string {
	env := []string{
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, ".gitconfig"),
		"GIT_AUTHOR_NAME=" + AuthorName,
		"GIT_AUTHOR_EMAIL=" + AuthorEmail,
		"GIT_COMMITTER_NAME=" + AuthorName,
		"GIT_COMMITTER_EMAIL=" + AuthorEmail,
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
	if p := os.Getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

// Git runs the git CLI in dir and returns its trimmed standard output; it
// fails the test on a non-zero exit.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := RunGit(dir, args...)
	if err != nil {
		tb.Fatalf("git %s (in %s): %v", strings.Join(args, " "), dir, err)
	}
	return out
}

// RunGit runs the git CLI in dir and returns its trimmed standard output, or
// an error carrying its standard error.
func RunGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env(dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &cmdError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return strings.TrimSpace(stdout.String()), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.stderr }

// Remote is a bare repository on disk with one branch.
type Remote struct {
	// Root is the directory that holds the bare repository (the project
	// root of the HTTP and SSH servers).
	Root string
	// Name is the repository's directory name below Root, e.g. "fabric.git".
	Name string
	// Branch is the branch the helpers commit to.
	Branch string
}

// Dir is the bare repository's path.
func (r *Remote) Dir() string { return filepath.Join(r.Root, r.Name) }

// FileURL is the repository's file:// URL.
func (r *Remote) FileURL() string { return "file://" + r.Dir() }

// NewRemote creates the bare repository root/name with one commit on branch
// holding files (path → content, slash-separated). Pushes over HTTP are
// allowed (http.receivepack).
func NewRemote(tb testing.TB, root, name, branch string, files map[string]string) *Remote {
	tb.Helper()
	RequireGit(tb)
	r := &Remote{Root: root, Name: name, Branch: branch}
	Git(tb, root, "init", "--quiet", "--bare", "--initial-branch="+branch, name)
	Git(tb, r.Dir(), "config", "http.receivepack", "true")
	if len(files) > 0 {
		r.seed(tb, files)
	}
	return r
}

// seed makes the branch's first commit with git fast-import: thousands of
// files take a fraction of a second, no working tree needed.
func (r *Remote) seed(tb testing.TB, files map[string]string) {
	tb.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var in bytes.Buffer
	fmt.Fprintf(&in, "commit refs/heads/%s\ncommitter %s <%s> 1700000000 +0000\ndata 4\nseed\n", r.Branch, AuthorName, AuthorEmail)
	for _, p := range paths {
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = r.Dir()
	cmd.Env = Env(r.Root)
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git fast-import in %s: %v: %s", r.Dir(), err, out)
	}
}

// Change commits, as someone other than fgd, the files written (path →
// content) and removed to the remote's branch from a fresh clone and pushes
// it; it returns the new head.
func (r *Remote) Change(tb testing.TB, message string, write map[string]string, remove []string) string {
	tb.Helper()
	work := filepath.Join(tb.TempDir(), "work")
	if r.hasBranch() {
		Git(tb, r.Root, "clone", "--quiet", "--branch", r.Branch, r.Dir(), work)
	} else {
		Git(tb, r.Root, "init", "--quiet", "--initial-branch="+r.Branch, work)
		Git(tb, work, "remote", "add", "origin", r.Dir())
	}
	WriteFiles(tb, work, write)
	for _, p := range remove {
		Git(tb, work, "rm", "--quiet", "-r", "--", p)
	}
	Git(tb, work, "add", "--all")
	Git(tb, work, "commit", "--quiet", "--allow-empty", "-m", message)
	Git(tb, work, "push", "--quiet", "origin", "HEAD:refs/heads/"+r.Branch)
	return Git(tb, work, "rev-parse", "HEAD")
}

func (r *Remote) hasBranch() bool {
	_, err := RunGit(r.Dir(), "rev-parse", "--verify", "--quiet", "refs/heads/"+r.Branch)
	return err == nil
}

// Head returns the hash of the remote branch.
func (r *Remote) Head(tb testing.TB) string {
	tb.Helper()
	return Git(tb, r.Dir(), "rev-parse", "refs/heads/"+r.Branch)
}

// Log returns the remote branch's history, newest first, one
// "<hash> <parents...>|<author name>|<subject>" line per commit.
func (r *Remote) Log(tb testing.TB) []string {
	tb.Helper()
	out := Git(tb, r.Dir(), "log", "--format=%H %P|%an|%s", "refs/heads/"+r.Branch)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Files returns the remote head's files (path → content).
func (r *Remote) Files(tb testing.TB) map[string]string {
	tb.Helper()
	out := Git(tb, r.Dir(), "ls-tree", "-r", "--name-only", "-z", "refs/heads/"+r.Branch)
	files := map[string]string{}
	for _, p := range strings.Split(out, "\x00") {
		if p == "" {
			continue
		}
		files[p] = Git(tb, r.Dir(), "show", "refs/heads/"+r.Branch+":"+p)
	}
	return files
}

// ChangedFiles returns the paths that commit changed against its first
// parent, sorted.
func (r *Remote) ChangedFiles(tb testing.TB, commit string) []string {
	tb.Helper()
	out := Git(tb, r.Dir(), "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", commit)
	if out == "" {
		return nil
	}
	paths := strings.Split(out, "\n")
	sort.Strings(paths)
	return paths
}

// WriteFiles writes files (path → content, slash-separated) below dir.
func WriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// WriteSecret writes a secret file with mode 0600 and returns its path.
func WriteSecret(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}
