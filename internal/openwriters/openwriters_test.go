package openwriters

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A file is held while a process has it open for writing, whether that is
// this process or another one, and free once it is closed; a reader does
// not hold it.
func TestOfSeesWritersNotReaders(t *testing.T) {
	dir := t.TempDir()
	held := filepath.Join(dir, "held.yaml")
	byChild := filepath.Join(dir, "child.yaml")
	read := filepath.Join(dir, "read.yaml")
	closed := filepath.Join(dir, "closed.yaml")
	for _, p := range []string{read, closed} {
		if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := os.OpenFile(held, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := os.Open(read)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// A real second process holds byChild open for writing until its
	// stdin closes.
	child := exec.Command("sh", "-c", "exec 3>\"$1\"; echo ready; read _", "sh", byChild)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = child.Wait() }()
	if _, err := stdout.Read(make([]byte, 6)); err != nil {
		t.Fatal(err)
	}

	got, err := Of([]string{held, byChild, read, closed, filepath.Join(dir, "missing.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if wr, ok := got[held]; !ok || wr.PID != os.Getpid() {
		t.Errorf("held.yaml: writer %+v, %v; want this process", wr, ok)
	}
	if wr, ok := got[byChild]; !ok || wr.PID != child.Process.Pid || wr.Command != "sh" {
		t.Errorf("child.yaml: writer %+v, %v; want sh (pid %d)", wr, ok, child.Process.Pid)
	}
	for _, p := range []string{read, closed} {
		if wr, ok := got[p]; ok {
			t.Errorf("%s: writer %v, want none", filepath.Base(p), wr)
		}
	}
	if len(got) != 2 {
		t.Errorf("writers = %v, want two", got)
	}

	w.Close()
	stdin.Close()
	_ = child.Wait()
	got, err = Of([]string{held, byChild})
	if err != nil || len(got) != 0 {
		t.Fatalf("after close: writers %v, %v; want none", got, err)
	}
}
