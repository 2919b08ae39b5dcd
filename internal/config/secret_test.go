package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string // the secret, when no error
		wantErr string // substring of the error
	}{
		{"one newline trimmed", "tok\n", 0o600, "tok", ""},
		{"only one newline trimmed", "tok\n\n", 0o600, "tok\n", ""},
		{"crlf trimmed", "tok\r\n", 0o600, "tok", ""},
		{"no newline", "tok", 0o600, "tok", ""},
		{"inner whitespace kept", " a b \n", 0o600, " a b ", ""},
		{"group-readable accepted", "tok\n", 0o640, "tok", ""},
		{"world-readable refused", "hunter2\n", 0o644, "", "chmod 600"},
		{"empty refused", "\n", 0o600, "", "is empty"},
		{"too large refused", strings.Repeat("x", 64<<10+1), 0o600, "", "larger than 64 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-"), tc.content, tc.mode)
			got, err := config.ReadSecret(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("want an error naming %s and containing %q, got %v", p, tc.wantErr, err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error shows the secret: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(dir, "nope")
		if _, err := config.ReadSecret(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("want an error naming %s, got %v", p, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, err := config.ReadSecret(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestReadSecretRotation checks that every call reads the file anew.
func TestReadSecretRotation(t *testing.T) {
	p := writeFile(t, t.TempDir(), "tok", "first\n", 0o600)
	if got, err := config.ReadSecret(p); err != nil || got != "first" {
		t.Fatalf("got %q, %v", got, err)
	}
	// Rotate by rename, as tools that write secrets atomically do.
	next := writeFile(t, filepath.Dir(p), "tok.new", "second\n", 0o600)
	if err := os.Rename(next, p); err != nil {
		t.Fatal(err)
	}
	if got, err := config.ReadSecret(p); err != nil || got != "second" {
		t.Fatalf("after rotation got %q, %v", got, err)
	}
}
