package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Server is one running API server.
type Server struct {
	// Kubeconfig is a kubeconfig file whose current context reaches the server as system:masters.
	Kubeconfig string
	// Host is the server's https URL.
	Host string
	// Config is Kubeconfig loaded for client-go.
	Config *rest.Config

	requests string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   string
	nsSeq    atomic.Int64
}

// Request is one mutating request the server received.
type Request struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	UserAgent string `json:"userAgent"`
	DryRun    bool   `json:"dryRun"`
}

// Options change what Start installs.
type Options struct {
	// NoCRDs starts a server without the Hedgehog CRDs, as a cluster fgd was never prepared for.
	NoCRDs bool
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartShared starts a server that lives as long as the test binary: the server exits when its
// stdin closes, which happens when this process ends however it ends. Tests sharing it keep apart
// by namespace (see Namespace).
func StartShared(opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "fgd-kubeapiserver-")
	if err != nil {
		return nil, err
	}
	return start(dir, opts)
}

func start(dir string, opts Options) (*Server, error) {
	bin, err := Build()
	if err != nil {
		return nil, err
	}
	args := []string{"-dir", dir}
	if !opts.NoCRDs {
		crds, err := crdDir()
		if err != nil {
			return nil, err
		}
		args = append(args, "-crds", crds)
	}
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// The server logs a lot; keep it in a file and show its tail when it fails.
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, stdin: stdin, stderr: logPath}
	ready := make(chan error, 1)
	go func() { ready <- s.readReady(stdout) }()
	select {
	case err = <-ready:
	case <-time.After(5 * time.Minute):
		err = fmt.Errorf("not ready after 5 minutes")
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("kubetest: start the API server: %w\n%s", err, s.logTail())
	}
	return s, nil
}

func (s *Server) readReady(stdout io.Reader) error {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "ready ")
		if !ok {
			continue
		}
		var r struct{ Kubeconfig, Server, Requests string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return err
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", r.Kubeconfig)
		if err != nil {
			return err
		}
		s.Kubeconfig, s.Host, s.requests, s.Config = r.Kubeconfig, r.Server, r.Requests, cfg
		go io.Copy(io.Discard, stdout) //nolint:errcheck // drains until the server exits
		return nil
	}
	return fmt.Errorf("exited before it was ready")
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.stderr)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop stops the server and waits for it to exit.
func (s *Server) Stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// Namespace returns a namespace name no other test of this server used. The server has no core
// API, so namespaces need not exist before objects are put in them.
func (s *Server) Namespace(t testing.TB) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%d", strings.Trim(name, "-"), s.nsSeq.Add(1))
}

// Writes returns the mutating requests (not dry runs) the server received from clients whose
// User-Agent starts with agent.
func (s *Server) Writes(t testing.TB, agent string) []Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.requests, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []Request
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var out []Request
	for _, r := range all {
		if !r.DryRun && strings.HasPrefix(r.UserAgent, agent) {
			out = append(out, r)
		}
	}
	return out
}

// Kubectl runs the real kubectl against the server and returns its stdout.
func (s *Server) Kubectl(t testing.TB, stdin []byte, args ...string) string {
	t.Helper()
	// Only a hang-catcher: applying thousands of objects takes kubectl minutes on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", s.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// crdDir is the directory of the v1beta1 Hedgehog CRDs fgd validates against.
func crdDir() (string, error) {
	dir, err := ModuleDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "..", "..", "resource", "crds", "v1beta1"), nil
}
