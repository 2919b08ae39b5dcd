package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/httpapi"
)

// Defaults of the API clients (fgd status, fgd sync).
const (
	defaultServer = "http://" + config.DefaultListen
	// tokenFileEnv names the token file when --token-file is not given.
	tokenFileEnv = "FGD_TOKEN_FILE"
	// requestTimeout bounds a request that does not long-poll.
	requestTimeout = 30 * time.Second
	// maxResponse bounds an answer's body: the fabric list of a large
	// installation is a few MiB.
	maxResponse = 64 << 20
)

// serverFlags defines --server and --token-file on fs, the flags of every
// client of the daemon's API.
func serverFlags(fs *flag.FlagSet) (server, tokenFile *string) {
	server = fs.String("server", defaultServer, "the fgd daemon's `URL` (its listen: address)")
	tokenFile = fs.String("token-file", "", "read the API bearer token from `FILE` (default: $"+tokenFileEnv+")")
	return server, tokenFile
}

// apiClient talks to the daemon's REST API.
type apiClient struct {
	base  string // "http://127.0.0.1:9477", without a trailing slash
	token string // "" sends no Authorization header
	http  *http.Client
}

// serverURL checks --server and returns its base URL; a bare host:port
// (the config's listen: value) means http://host:port.
func serverURL(server string) (string, error) {
	base := strings.TrimRight(strings.TrimSpace(server), "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("--server %q is not an http:// or https:// address such as %s", server, defaultServer)
	}
	return base, nil
}

// apiToken reads the API token from file, else from the file $FGD_TOKEN_FILE
// names; "" when neither is set.
func apiToken(file string) (string, error) {
	if file == "" {
		file = os.Getenv(tokenFileEnv)
	}
	if file == "" {
		return "", nil
	}
	token, err := config.ReadSecret(file)
	if err != nil {
		return "", fmt.Errorf("API token: %w", err)
	}
	return token, nil
}

// newClient builds the API client of command name from its --server and
// --token-file flags; when it cannot, it prints why and returns the exit
// status (2 for a bad --server, 1 for an unreadable token file).
func newClient(name string, h help, server, tokenFile string, asJSON bool, stdout, stderr io.Writer) (*apiClient, int, bool) {
	base, err := serverURL(server)
	if err != nil {
		return nil, usageFail(stdout, stderr, asJSON, name, h, err.Error()), false
	}
	token, err := apiToken(tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "fgd %s: %s\n", name, safe(err.Error()))
		writeErrorJSON(stdout, asJSON, errorDetail{Message: err.Error(),
			Remediation: "pass --token-file with a readable token file (not readable by every user), or set " + tokenFileEnv})
		return nil, 1, false
	}
	return &apiClient{base: base, token: token, http: &http.Client{}}, 0, true
}

// apiError is an answer of the API with an error status.
type apiError struct {
	status int
	body   httpapi.ErrorBody
}

func (e *apiError) Error() string {
	msg := e.body.Error
	if msg == "" {
		msg = http.StatusText(e.status)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.status)
}

// unreachableError says the daemon could not be reached at all.
type unreachableError struct {
	base string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach fgd at %s: %v: is fgd running? (systemctl status fgd; or pass --server)", e.base, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// do sends a request and decodes a successful answer into out. An error
// answer is an *apiError; no answer at all an *unreachableError. timeout
// bounds this request alone (ctx may end it sooner).
func (c *apiClient) do(ctx context.Context, method, path string, timeout time.Duration, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		return &unreachableError{base: c.base, err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &unreachableError{base: c.base, err: fmt.Errorf("reading the answer to %s %s: %w", method, path, err)}
	}
	if resp.StatusCode >= 300 {
		e := &apiError{status: resp.StatusCode}
		if json.Unmarshal(body, &e.body) != nil || e.body.Error == "" {
			e.body.Error = strings.TrimSpace(string(body))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON fgd sends (is %s an fgd daemon?): %w", method, path, c.base, err)
	}
	return nil
}

// unwrapURLError drops net/http's `Get "URL":` prefix: the messages name
// the server already.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// printAPIError prints err for command name: the error and, from the
// daemon, its remediation; a hint about the token when one was missing.
// Both are escaped: an answer may come from anything at --server.
func printAPIError(w io.Writer, name string, c *apiClient, err error) {
	fmt.Fprintf(w, "fgd %s: %s\n", name, safe(err.Error()))
	ae, ok := errors.AsType[*apiError](err)
	if !ok {
		return
	}
	if ae.body.Remediation != "" {
		fmt.Fprintf(w, "  fix: %s\n", safe(ae.body.Remediation))
	}
	if ae.status == http.StatusUnauthorized && c.token == "" {
		fmt.Fprintf(w, "  no token was sent: pass --token-file FILE or set %s\n", tokenFileEnv)
	}
}
