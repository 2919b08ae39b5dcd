package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLooksSecret(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true},
		{"Password", true},
		{"db_password", true},
		{"passwd", true},
		{"token", true},
		{"api_token", true},
		{"X-Api-Token", true},
		{"secret", true},
		{"webhook_secret", true},
		{"authorization", true},
		{"ssh_private_key", true},
		{"credential", true},
		{"key_passphrase", true},
		{"Authorization", true},
		{"api_key", true},
		{"cookie", true},
		{"token_file", false},
		{"password_file", false},
		{"webhook_secret_file", false},
		{"token_name", false},
		{"ssh_key_path", false},
		{"fabric", false},
		{"revision", false},
		{"url", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := LooksSecret(tt.key); got != tt.want {
				t.Errorf("LooksSecret(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// hiddenToken is a LogValuer that resolves to a group holding a secret.
type hiddenToken struct{}

func (hiddenToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", "s3cr3t-valuer"), slog.String("kind", "bearer"))
}

func TestRedactingHandler(t *testing.T) {
	const secret = "s3cr3t"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any // flattened JSON keys ("a.b") that must hold these values
	}{
		{
			name: "top-level attrs",
			log: func(l *slog.Logger) {
				l.Info("m", "password", secret, "fabric", "dc1", "token_file", "/etc/fgd/api-token")
			},
			want: map[string]any{"password": Redacted, "fabric": "dc1", "token_file": "/etc/fgd/api-token"},
		},
		{
			name: "non-string secret values",
			log:  func(l *slog.Logger) { l.Info("m", slog.Int("token", 12345), slog.Any("secret", []byte(secret))) },
			want: map[string]any{"token": Redacted, "secret": Redacted},
		},
		{
			name: "With attrs",
			log:  func(l *slog.Logger) { l.With("authorization", "Bearer "+secret, "fabric", "dc1").Info("m") },
			want: map[string]any{"authorization": Redacted, "fabric": "dc1"},
		},
		{
			name: "inside a group",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("auth", slog.String("username", "git"), slog.String("password", secret)))
			},
			want: map[string]any{"auth.username": "git", "auth.password": Redacted},
		},
		{
			name: "group whose name looks secret",
			log:  func(l *slog.Logger) { l.Info("m", slog.Group("secrets", slog.String("dc1", secret))) },
			want: map[string]any{"secrets.dc1": Redacted},
		},
		{
			name: "WithGroup whose name looks secret",
			log:  func(l *slog.Logger) { l.WithGroup("token").Info("m", "value", secret) },
			want: map[string]any{"token.value": Redacted},
		},
		{
			name: "WithGroup with a plain name",
			log:  func(l *slog.Logger) { l.WithGroup("git").Info("m", "url", "https://x", "password", secret) },
			want: map[string]any{"git.url": "https://x", "git.password": Redacted},
		},
		{
			name: "LogValuer resolving to a secret",
			log:  func(l *slog.Logger) { l.Info("m", "cred", hiddenToken{}) },
			want: map[string]any{"cred.token": Redacted, "cred.kind": "bearer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(NewRedactingHandler(slog.NewJSONHandler(&buf, nil))))
			out := buf.String()
			if strings.Contains(out, secret) {
				t.Errorf("secret leaked into the log: %s", out)
			}
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			flat := map[string]any{}
			flatten("", m, flat)
			for k, v := range tt.want {
				if flat[k] != v {
					t.Errorf("%s = %v, want %v (output %s)", k, flat[k], v, out)
				}
			}
		})
	}
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = v
	}
}

func TestNewRedacts(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, "debug", format)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("m", "password", "hunter2")
			if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), Redacted) {
				t.Errorf("New's logger did not redact: %s", buf.String())
			}
		})
	}
}
