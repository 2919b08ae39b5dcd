package main

import (
	"encoding/json"
	"net"
	"net/http"
	"sync"
)

// request is one mutating request the server received.
type request struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	UserAgent string `json:"userAgent"`
	DryRun    bool   `json:"dryRun"`
}

// requestLog records every mutating request, so tests can count the writes a client made as the
// server saw them.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			l.mu.Lock()
			l.reqs = append(l.reqs, request{Method: r.Method, Path: r.URL.Path, UserAgent: r.UserAgent(),
				DryRun: r.URL.Query().Has("dryRun")})
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// serve answers GET / with the recorded requests as JSON, on a plain HTTP loopback port.
func (l *requestLog) serve() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		l.mu.Lock()
		b, _ := json.Marshal(l.reqs)
		l.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	return "http://" + ln.Addr().String() + "/", nil
}
