package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadOperatorFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(good, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, wantErr string }{
		{good, ""},
		{link, ""}, // mounted secrets are links
		{empty, "kubeconfig " + empty + " is empty"},
		{big, "is larger than 1 KiB"},
		{filepath.Join(dir, "missing"), "read kubeconfig: "},
		{dir, "is not a regular file"},
		{fifo, "is not a regular file"}, // and the open does not wait for a writer
	} {
		data, err := ReadOperatorFile(tc.path, "kubeconfig", 1024)
		switch {
		case tc.wantErr == "" && (err != nil || string(data) != "apiVersion: v1\n"):
			t.Errorf("%s: got %q, %v", tc.path, data, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.path, err, tc.wantErr)
		}
	}
}
