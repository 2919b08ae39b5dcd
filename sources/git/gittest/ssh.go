package gittest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer serves every bare repository below a root over SSH on
// 127.0.0.1: it runs git-upload-pack or git-receive-pack for the repository
// a client names, after public-key authentication.
type SSHServer struct {
	srv  *gliderssh.Server
	addr string
	root string

	hostKey gossh.PublicKey

	// KeyFile is the client's private key (OpenSSH PEM, mode 0600), the one
	// the server accepts.
	KeyFile string
	// KnownHostsFile lists the server's host key under its address.
	KnownHostsFile string
	// WrongKnownHostsFile lists another host key under the server's address:
	// a client that uses it must refuse the server.
	WrongKnownHostsFile string

	// Sessions counts the git commands run.
	Sessions atomic.Int64
}

// NewSSHServer starts a server for the repositories below root; it is closed
// when the test ends. Keys and known_hosts files are written to a temporary
// directory.
func NewSSHServer(tb testing.TB, root string) *SSHServer {
	tb.Helper()
	RequireGit(tb)
	dir := tb.TempDir()
	hostSigner, hostPub := newSigner(tb)
	_, otherHostPub := newSigner(tb)
	clientPriv := newKey(tb)
	clientPub, err := gossh.NewPublicKey(clientPriv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(clientPriv, "fgd test key")
	if err != nil {
		tb.Fatal(err)
	}
	s := &SSHServer{root: root, hostKey: hostPub, KeyFile: filepath.Join(dir, "id_ed25519")}
	if err := os.WriteFile(s.KeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		tb.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.srv = &gliderssh.Server{
		Handler:     s.handle,
		HostSigners: []gliderssh.Signer{hostSigner},
		PublicKeyHandler: func(_ gliderssh.Context, key gliderssh.PublicKey) bool {
			return gliderssh.KeysEqual(key, clientPub)
		},
	}
	go func() { _ = s.srv.Serve(l) }()
	tb.Cleanup(func() { _ = s.srv.Close() })

	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	s.WrongKnownHostsFile = filepath.Join(dir, "known_hosts.wrong")
	host := knownhosts.Normalize(s.addr)
	for file, key := range map[string]gossh.PublicKey{s.KnownHostsFile: hostPub, s.WrongKnownHostsFile: otherHostPub} {
		line := knownhosts.Line([]string{host}, key) + "\n"
		if err := os.WriteFile(file, []byte(line), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// URL is the ssh:// URL of the repository name below the root.
func (s *SSHServer) URL(name string) string { return "ssh://git@" + s.addr + "/" + name }

// Close stops the server.
func (s *SSHServer) Close() { _ = s.srv.Close() }

func (s *SSHServer) handle(sess gliderssh.Session) {
	code, err := s.run(sess)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "fatal: %v\n", err)
	}
	_ = sess.Exit(code)
}

// run executes the git command a client asked for; only git-upload-pack and
// git-receive-pack of a repository below the root are allowed.
func (s *SSHServer) run(sess gliderssh.Session) (int, error) {
	args := sess.Command()
	if len(args) != 2 {
		return 128, fmt.Errorf("want one git command and a repository, got %q", sess.RawCommand())
	}
	var sub string
	switch args[0] {
	case "git-upload-pack":
		sub = "upload-pack"
	case "git-receive-pack":
		sub = "receive-pack"
	default:
		return 128, fmt.Errorf("command %q is not allowed", args[0])
	}
	rel := strings.TrimPrefix(path.Clean("/"+args[1]), "/")
	if rel == "" {
		return 128, errors.New("no repository named")
	}
	repo := filepath.Join(s.root, filepath.FromSlash(rel))
	if _, err := os.Stat(repo); err != nil {
		return 128, fmt.Errorf("'%s' does not appear to be a git repository", args[1])
	}
	s.Sessions.Add(1)

	cmd := exec.CommandContext(sess.Context(), "git", sub, repo)
	cmd.Env = Env(s.root)
	cmd.Stdout = sess
	cmd.Stderr = sess.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 128, err
	}
	if err := cmd.Start(); err != nil {
		return 128, err
	}
	// The client's stdin is not closed when the command is done (a fetch
	// just stops writing), so it is copied apart from Wait.
	go func() {
		_, _ = io.Copy(stdin, sess)
		_ = stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), nil
		}
		return 128, err
	}
	return 0, nil
}

func newKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return priv
}

func newSigner(tb testing.TB) (gossh.Signer, gossh.PublicKey) {
	tb.Helper()
	signer, err := gossh.NewSignerFromKey(newKey(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return signer, signer.PublicKey()
}
