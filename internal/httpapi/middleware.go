package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"
)

// recorder remembers the status and size of a response for the access log
// and for panic recovery. Unwrap lets http.ResponseController reach the
// connection (deadlines, flushing) through it.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Flush keeps streaming responses working through the recorder.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush() // http.Flusher has no error to return
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe writes the access log line (debug level) of every request and
// turns a handler panic into a logged error and a 500, so no panic reaches
// the client or takes the daemon down. A panic after the response has begun
// aborts the connection instead, so the client sees a broken response rather
// than a truncated one that looks complete.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == http.ErrAbortHandler { // net/http's own way to abort a response
				panic(v)
			}
			abort := false
			if v != nil {
				s.logger.Error("http handler panicked",
					"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Header().Set("X-Content-Type-Options", "nosniff")
					rec.WriteHeader(http.StatusInternalServerError)
					_, _ = rec.Write([]byte("internal server error\n"))
				} else {
					abort = true
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			// The path only: query strings may carry tokens.
			s.logger.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", status,
				"bytes", rec.bytes, "duration", time.Since(start), "remote", r.RemoteAddr, "aborted", abort)
			if abort {
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// withWriteDeadline gives a request writeTimeout to write its response. It
// is set per request, not on http.Server, so streaming routes can opt out.
func (s *Server) withWriteDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Fails only on writers without a connection (httptest recorders).
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.writeTimeout))
		next.ServeHTTP(w, r)
	})
}
