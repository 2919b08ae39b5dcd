package gittest

import (
	"bytes"
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// HTTPServer serves every bare repository below a root over git's smart HTTP
// protocol (git http-backend) on 127.0.0.1, behind basic auth when a
// password is set, and counts the requests by kind and the bytes it sends
// in answer to them.
type HTTPServer struct {
	srv *httptest.Server

	// InfoRefs counts GET …/info/refs (ref advertisements: ls-remote, and the
	// first request of every fetch and push).
	InfoRefs atomic.Int64
	// UploadPack counts POST …/git-upload-pack (fetches and clones).
	UploadPack atomic.Int64
	// ReceivePack counts POST …/git-receive-pack (pushes).
	ReceivePack atomic.Int64
	// Unauthorized counts requests refused with 401.
	Unauthorized atomic.Int64

	// InfoRefsBytes counts the bytes of the bodies sent in answer to
	// info/refs requests.
	InfoRefsBytes atomic.Int64
	// UploadPackBytes counts the bytes of the bodies sent in answer to
	// upload-pack requests: what fetches and clones download, packs and
	// negotiation, as the client received them.
	UploadPackBytes atomic.Int64
}

// NewHTTPServer starts a server for the repositories below root. When
// password is not empty, every request needs basic auth with user and
// password. The server is closed when the test ends.
func NewHTTPServer(tb testing.TB, root, user, password string) *HTTPServer {
	tb.Helper()
	gitBin := RequireGit(tb)
	s := &HTTPServer{}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Dir:  root,
		// The backend's complaints (e.g. about a missing repository) reach
		// the client as HTTP errors already.
		Stderr: io.Discard,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + root,
			"PATH=" + os.Getenv("PATH"),
		},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
				s.Unauthorized.Add(1)
				w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		// The body is read whole before git sees the request: git
		// http-backend (2.39) loops for ever, a core busy, on a body shorter
		// than its Content-Length, which is what a client killed in the
		// middle of a push sends. Such a request never reaches git; one
		// whose body arrived whole does, even if its client is gone.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/info/refs"):
			s.InfoRefs.Add(1)
			w = &countingWriter{ResponseWriter: w, n: &s.InfoRefsBytes}
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			s.UploadPack.Add(1)
			w = &countingWriter{ResponseWriter: w, n: &s.UploadPackBytes}
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
			s.ReceivePack.Add(1)
		}
		backend.ServeHTTP(w, r)
	}))
	tb.Cleanup(s.srv.Close)
	return s
}

// DropIdleConns closes the server's idle keep-alive connections, so the
// clients' next requests open new ones: a fault set on a proxy in front of
// the server then reaches them at once, as when a server goes down.
func (s *HTTPServer) DropIdleConns() {
	s.srv.Config.SetKeepAlivesEnabled(false) // closes the idle ones
	s.srv.Config.SetKeepAlivesEnabled(true)
}

// URL is the http:// URL of the repository name below the root.
func (s *HTTPServer) URL(name string) string { return s.srv.URL + "/" + name }

// Close stops the server: later requests fail to connect.
func (s *HTTPServer) Close() { s.srv.Close() }

// Counts returns info/refs, upload-pack and receive-pack requests so far.
func (s *HTTPServer) Counts() (infoRefs, uploadPack, receivePack int64) {
	return s.InfoRefs.Load(), s.UploadPack.Load(), s.ReceivePack.Load()
}

// Sent returns the bytes sent so far in answer to info/refs and to
// upload-pack requests.
func (s *HTTPServer) Sent() (infoRefs, uploadPack int64) {
	return s.InfoRefsBytes.Load(), s.UploadPackBytes.Load()
}

// countingWriter adds the body bytes written through it to n.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// Flush passes a flush on, so git's answers stream as they did unwrapped.
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
