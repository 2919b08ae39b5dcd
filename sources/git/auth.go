package git

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/fgdproject/fgd/internal/config"
)

// Auth is how to reach the remote. Secrets are files, read again on every
// network operation, so a rotated token or key needs no restart.
type Auth = config.GitAuth

// defaultUsername is the user of https basic auth and ssh when none is
// configured: hosting services accept any name with a token.
const defaultUsername = "git"

// credentials are what one network operation authenticates with, and the
// secrets to scrub from its errors.
type credentials struct {
	method  transport.AuthMethod
	secrets []string
	timeout time.Duration // the operation's bound, from the same settings
}

// credentials reads the secret files and builds the auth method for the
// remote's transport; a file that cannot be read is an Auth error.
func (r *Repo) credentials() (credentials, error) {
	s := r.current()
	c, err := r.authMethod(s)
	c.timeout = s.Timeout
	return c, err
}

func (r *Repo) authMethod(s *Settings) (credentials, error) {
	a := s.Auth
	switch r.endpoint.Protocol {
	case "file":
		return credentials{}, nil
	case "http", "https":
		if a.PasswordFile == "" {
			return credentials{}, nil
		}
		pw, err := config.ReadSecret(a.PasswordFile)
		if err != nil {
			return credentials{}, errAuthConfig{fmt.Errorf("auth.password_file: %w", err)}
		}
		user := a.Username
		if user == "" {
			user = defaultUsername
		}
		return credentials{method: &githttp.BasicAuth{Username: user, Password: pw}, secrets: []string{pw}}, nil
	case "ssh":
		return r.sshCredentials(s)
	}
	return credentials{}, errAuthConfig{fmt.Errorf("transport %q is not supported: use https://, http://, ssh:// or file://", r.endpoint.Protocol)}
}

func (r *Repo) sshCredentials(s *Settings) (credentials, error) {
	a := s.Auth
	user := a.Username
	if user == "" {
		user = r.endpoint.User
	}
	if user == "" {
		user = defaultUsername
	}
	var (
		method  gitssh.AuthMethod
		helper  *gitssh.HostKeyCallbackHelper
		secrets []string
	)
	switch {
	case a.SSHKeyFile != "":
		key, err := config.ReadSecret(a.SSHKeyFile)
		if err != nil {
			return credentials{}, errAuthConfig{fmt.Errorf("auth.ssh_key_file: %w", err)}
		}
		pk, err := gitssh.NewPublicKeys(user, []byte(key), "")
		if err != nil {
			var pe *gossh.PassphraseMissingError
			if errors.As(err, &pe) {
				return credentials{}, errAuthConfig{fmt.Errorf("auth.ssh_key_file %s is protected by a passphrase: fgd needs a key without one", a.SSHKeyFile)}
			}
			// The parser's message never quotes the key.
			return credentials{}, errAuthConfig{fmt.Errorf("auth.ssh_key_file %s is not a usable private key: %v", a.SSHKeyFile, err)}
		}
		method, helper, secrets = pk, &pk.HostKeyCallbackHelper, []string{key}
	case a.PasswordFile != "":
		pw, err := config.ReadSecret(a.PasswordFile)
		if err != nil {
			return credentials{}, errAuthConfig{fmt.Errorf("auth.password_file: %w", err)}
		}
		p := &gitssh.Password{User: user, Password: pw}
		method, helper, secrets = p, &p.HostKeyCallbackHelper, []string{pw}
	default:
		return credentials{}, errAuthConfig{errors.New("an ssh remote needs auth.ssh_key_file (or auth.password_file)")}
	}

	switch {
	case a.KnownHostsFile != "":
		db, err := gitssh.NewKnownHostsDb(a.KnownHostsFile)
		if err != nil {
			return credentials{}, errAuthConfig{fmt.Errorf("auth.known_hosts_file %s: %v", a.KnownHostsFile, err)}
		}
		helper.HostKeyCallback = db.HostKeyCallback()
		// Offer only the algorithms known_hosts has a key of, or the server
		// may present another key type and be refused for it.
		helper.HostKeyAlgorithms = db.HostKeyAlgorithms(r.sshHostPort())
	case a.InsecureSkipHostKeyCheck:
		helper.HostKeyCallback = gossh.InsecureIgnoreHostKey()
	default:
		return credentials{}, errAuthConfig{errors.New("an ssh remote needs auth.known_hosts_file (or insecure_skip_host_key_check: true)")}
	}
	return credentials{method: sshTimeout{method, s.Timeout}, secrets: secrets}, nil
}

func (r *Repo) sshHostPort() string {
	port := r.endpoint.Port
	if port == 0 {
		port = 22
	}
	// go-git keeps an IPv6 host in brackets; JoinHostPort adds them again.
	host := strings.TrimSuffix(strings.TrimPrefix(r.endpoint.Host, "["), "]")
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// sshTimeout bounds go-git's ssh dial, which does not follow the operation's
// context.
type sshTimeout struct {
	gitssh.AuthMethod
	timeout time.Duration
}

// ClientConfig returns the wrapped method's config with the dial timeout.
func (s sshTimeout) ClientConfig() (*gossh.ClientConfig, error) {
	c, err := s.AuthMethod.ClientConfig()
	if c != nil {
		c.Timeout = s.timeout
	}
	return c, err
}
