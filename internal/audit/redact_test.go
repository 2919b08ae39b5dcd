package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	const secret = "hunter2-Zx81vQ"
	in := map[string]any{
		"create":        3,
		"token":         secret,
		"API_Token":     secret,
		"token_name":    secret, // stricter than the log's rule: any key naming a token
		"password_file": secret,
		"Authorization": "Bearer " + secret,
		"nested": map[string]any{
			"client_secret": secret,
			"list":          []any{map[string]any{"password": secret}, "plain", "Bearer " + secret},
			"ok":            "fine",
		},
		"headers": map[string]string{"Cookie": secret, "Accept": "json"},
		"url":     "https://git:" + secret + "@git.example/org/repo.git",
	}
	out := Redact(in)
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "hunter2") {
		t.Errorf("the secret survived: %v", out)
	}
	if out["create"] != 3 || out["nested"].(map[string]any)["ok"] != "fine" {
		t.Errorf("plain values changed: %v", out)
	}
	if out["headers"].(map[string]any)["Accept"] != "json" {
		t.Errorf("plain header changed: %v", out["headers"])
	}
	if in["token"] != secret || in["nested"].(map[string]any)["client_secret"] != secret {
		t.Error("Redact changed its argument")
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) is not nil")
	}
}

func TestRedactText(t *testing.T) {
	const secret = "hunter2-Zx81vQ"
	tests := []struct {
		in   string
		keep string // a part that must survive
	}{
		{"Authorization: Bearer " + secret, "Authorization"},
		{"authorization=Basic " + secret, "authorization"},
		{"clone https://git:" + secret + "@git.example/org/repo.git failed", "git.example/org/repo.git"},
		{"password=" + secret + " user=git", "user=git"},
		{`client_secret: "` + secret + ` with spaces"`, "client_secret"},
		{"api_key=" + secret + "&x=1", "x=1"},
		{"header token " + secret, "header"},
	}
	for _, tt := range tests {
		got := RedactText(tt.in)
		if strings.Contains(got, "hunter2") || !strings.Contains(got, tt.keep) || !strings.Contains(got, Redacted) {
			t.Errorf("RedactText(%q) = %q", tt.in, got)
		}
	}
	// A token's configured name is not a secret: the API's trigger text
	// names it and must keep it.
	for _, s := range []string{"api 127.0.0.1:5555 token=operator", "sync 01HX requested", ""} {
		if got := RedactText(s); got != s {
			t.Errorf("RedactText(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestRecordNeverWritesASecret greps the file itself.
func TestRecordNeverWritesASecret(t *testing.T) {
	const secret = "s3cr3t-Qm7Lp"
	path := filepath.Join(t.TempDir(), FileName)
	l, err := New(path, 0, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := []Entry{
		{Actor: "operator", Action: ActionReload, Changes: map[string]any{"api": map[string]any{"token": secret}}},
		{Actor: ActorAnonymous, Action: ActionRejected, Detail: "Authorization: Bearer " + secret},
		{Actor: "Bearer " + secret, Action: ActionRejected},
		{Actor: ActorPoll, Action: ActionSync, Detail: "fetch https://u:" + secret + "@git.example/r.git"},
	}
	for _, e := range entries {
		if err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secret) {
		t.Errorf("the audit log holds the secret:\n%s", data)
	}
	if n := len(readLines(t, path)); n != len(entries) {
		t.Errorf("%d lines, want %d", n, len(entries))
	}
}
