package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/config"
)

// caller is who sent a request: the configured name of the token it
// presented, or "anonymous" for an open read.
type caller struct {
	name string
	// operator is set when the token is the operator token.
	operator bool
}

// reader wraps a read handler: open unless Tokens.ReadFile is set, then
// the read token or the operator token is needed.
func (a *api) reader(h func(http.ResponseWriter, *http.Request, caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.tokens.ReadFile == "" {
			h(w, r, caller{name: audit.ActorAnonymous})
			return
		}
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			a.reject(w, r, audit.ActorAnonymous, http.StatusUnauthorized, "no bearer token",
				"this call needs a bearer token",
				"send Authorization: Bearer TOKEN with the read token (api.read_token_file) or the operator token (api.token_file); fgd status --token-file FILE does it")
			return
		}
		if c, ok := a.match(w, r, token, true); ok {
			h(w, r, c)
		}
	})
}

// operator wraps a mutating handler: only the operator token passes, and
// only when one is configured.
func (a *api) operator(h func(http.ResponseWriter, *http.Request, caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.tokens.OperatorFile == "" {
			a.reject(w, r, audit.ActorAnonymous, http.StatusForbidden, "no operator token is configured",
				"mutating API calls are disabled: set api.token_file",
				"put a token in a file (chmod 600), set api.token_file to its path in the config and reload fgd")
			return
		}
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			a.reject(w, r, audit.ActorAnonymous, http.StatusUnauthorized, "no bearer token",
				"this call needs the operator's bearer token",
				"send Authorization: Bearer TOKEN with the token in api.token_file; fgd sync --token-file FILE does it")
			return
		}
		c, ok := a.match(w, r, token, false)
		if !ok {
			return
		}
		if !c.operator {
			a.reject(w, r, c.name, http.StatusForbidden, "read token on a mutating call",
				"the read token cannot change anything",
				"use the operator token (api.token_file) for sync, suspend and resume")
			return
		}
		h(w, r, c)
	})
}

// match compares token with the configured tokens and returns who it
// belongs to; when none matches it answers the request itself (401) and
// returns false. The read token is compared too whenever one is
// configured, so that a read token on a mutating call gets 403 rather than
// 401. While a token file cannot be read, a token that matches no readable
// one gets 503. When both files hold one token, it is the operator's.
func (a *api) match(w http.ResponseWriter, r *http.Request, token string, forRead bool) (caller, bool) {
	sum := sha256.Sum256([]byte(token))
	candidates := []struct {
		file string
		who  caller
	}{
		{a.tokens.OperatorFile, caller{name: a.tokens.OperatorName, operator: true}},
		{a.tokens.ReadFile, caller{name: a.tokens.ReadName}},
	}
	unreadable := 0
	var found *caller
	for _, c := range candidates {
		if c.file == "" {
			continue
		}
		want, err := config.ReadSecret(c.file)
		if err != nil {
			unreadable++
			// The message names the file, never its content.
			a.logger.Error("API token file cannot be read; requests that need it are refused", "token", c.who.name, "err", err)
			continue
		}
		wantSum := sha256.Sum256([]byte(want))
		// Hashes of equal length on both sides: the time taken says
		// nothing about the token's length or content.
		if subtle.ConstantTimeCompare(sum[:], wantSum[:]) == 1 && found == nil {
			found = &c.who
		}
	}
	switch {
	case found != nil:
		return *found, true
	case unreadable > 0:
		// The token may be the one in the unreadable file: "wrong token"
		// would send the operator looking in the wrong place.
		a.reject(w, r, audit.ActorAnonymous, http.StatusServiceUnavailable, "token files unreadable",
			"the API's token files cannot be read",
			"see the daemon's log for the file and the problem; fix it, and the next request reads the file again")
		return caller{}, false
	}
	remedy := "use the token in api.token_file; a rotated token takes effect at once"
	if forRead {
		remedy = "use the token in api.read_token_file or api.token_file; a rotated token takes effect at once"
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="fgd", error="invalid_token"`)
	a.reject(w, r, audit.ActorAnonymous, http.StatusUnauthorized, "wrong bearer token", "the bearer token is not valid", remedy)
	return caller{}, false
}

// reject answers an unauthorized or forbidden request and audits it,
// without the token: the actor is the name of the token presented (when it
// was a valid one) or "anonymous".
func (a *api) reject(w http.ResponseWriter, r *http.Request, actor string, status int, why, msg, remediation string) {
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fgd"`)
	}
	level := slog.LevelDebug
	if a.s.noteRejected(r, actor, status, why) {
		level = slog.LevelInfo // the caller's first of the minute
	}
	a.logger.Log(r.Context(), level, "API request rejected", "status", status, "reason", why, "method", r.Method,
		"path", clip(r.URL.Path), "remote", r.RemoteAddr, "actor", actor)
	writeError(w, status, msg, remediation)
}
