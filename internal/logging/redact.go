package logging

import (
	"context"
	"log/slog"
	"strings"
)

// Redacted replaces the value of an attribute whose key looks secret.
const Redacted = "[REDACTED]"

// secretWords are the key fragments that mark a value as secret. They are
// the one vocabulary of fgd for this: the log, the audit log and the
// config's refusal of inline secrets all use it.
var secretWords = []string{"password", "passwd", "passphrase", "token", "secret", "authorization",
	"api_key", "apikey", "cookie", "credential", "private_key"}

// NamesSecret reports whether key contains one of the secret words (any
// case), whatever it ends in.
func NamesSecret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// referenceSuffixes mark keys that name where a secret lives, not the secret
// itself (token_file: /etc/fgd/api-token is worth logging).
var referenceSuffixes = []string{"_file", "_path", "_name"}

// LooksSecret reports whether an attribute key names a secret value: it
// NamesSecret and does not end in _file, _path or _name.
func LooksSecret(key string) bool {
	k := strings.ToLower(key)
	for _, s := range referenceSuffixes {
		if strings.HasSuffix(k, s) {
			return false
		}
	}
	return NamesSecret(k)
}

// RedactingHandler wraps a slog.Handler and replaces the value of every
// attribute whose key looks secret (LooksSecret) with Redacted, in records,
// in attributes added with With, inside groups, and under a group whose name
// looks secret. LogValuer values are resolved first, so a secret cannot hide
// behind one.
type RedactingHandler struct {
	inner slog.Handler
	// all redacts every attribute: set under a WithGroup whose name looks secret.
	all bool
}

// NewRedactingHandler returns h wrapped so that secret-looking attribute
// values never reach it.
func NewRedactingHandler(h slog.Handler) *RedactingHandler {
	return &RedactingHandler{inner: h}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *RedactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle redacts the record's attributes and passes it on.
func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a, h.all))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs redacts attrs before the wrapped handler stores them.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redact(a, h.all)
	}
	return &RedactingHandler{inner: h.inner.WithAttrs(red), all: h.all}
}

// WithGroup opens a group; everything under a secret-looking group name is
// redacted.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{inner: h.inner.WithGroup(name), all: h.all || LooksSecret(name)}
}

// redact returns a with its value replaced when its key looks secret (or all
// is set), recursing into groups.
func redact(a slog.Attr, all bool) slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup {
		all = all || LooksSecret(a.Key)
		group := a.Value.Group()
		red := make([]slog.Attr, len(group))
		for i, g := range group {
			red[i] = redact(g, all)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	}
	if all || LooksSecret(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}
