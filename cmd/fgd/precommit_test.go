package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// The pre-commit hook as the framework runs it: its entry from
// .pre-commit-hooks.yaml, with the real fgd binary, on the staged files of
// a git repository holding an FGD. A rejected document fails the commit
// with FILE:LINE; good files waiting in raw/ do not; files outside an FGD
// are ignored.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fgd and runs git")
	}
	var hooks []struct {
		ID, Entry, Language, Files string
		RequireSerial              bool `yaml:"require_serial"`
	}
	b, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &hooks); err != nil || len(hooks) != 1 || hooks[0].ID != "fgd-plan" {
		t.Fatalf(".pre-commit-hooks.yaml: %v, hooks %+v", err, hooks)
	}
	entry := strings.Fields(hooks[0].Entry)
	if entry[0] != "fgd" {
		t.Fatalf("entry %q does not run fgd", hooks[0].Entry)
	}
	bin := daemontest.Build(t)

	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	put := func(rel, content string) {
		t.Helper()
		p := filepath.Join(repo, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// hook runs the entry on the staged files, as pre-commit passes them
	// (paths relative to the repository's top, run from there).
	hook := func() (int, string) {
		t.Helper()
		staged := strings.Fields(git("diff", "--cached", "--name-only", "--diff-filter=ACMR"))
		cmd := exec.Command(bin, append(entry[1:], staged...)...)
		cmd.Dir = repo
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, out.String()
		case errors.As(err, &exit):
			return exit.ExitCode(), out.String()
		}
		t.Fatalf("running the hook: %v", err)
		return 0, ""
	}

	git("init", "-q", "-b", "main")
	put("gitops/dc1/raw/vpc-1.yaml", testdocs.VPC("vpc-1"))
	put("ci/lint.yaml", "not: [an, fgd, file]\n")
	git("add", ".")
	if code, out := hook(); code != 0 {
		t.Fatalf("good files: exit %d, want 0\n%s", code, out)
	}
	git("commit", "-q", "-m", "good")

	put("gitops/dc1/raw/bad.yaml", strings.Replace(testdocs.VPC("vpc-2"), "subnets:", "subnetz:", 1))
	git("add", ".")
	code, out := hook()
	if code == 0 {
		t.Fatalf("a rejected document: exit 0\n%s", out)
	}
	line := strings.Count(strings.Split(strings.Replace(testdocs.VPC("vpc-2"), "subnets:", "subnetz:", 1), "subnetz:")[0], "\n") + 1
	if want := "gitops/dc1/raw/bad.yaml:" + strconv.Itoa(line) + ": spec: unknown field \"subnetz\""; !strings.Contains(out, want) {
		t.Errorf("the hook's output lacks %q:\n%s", want, out)
	}
	if !strings.Contains(out, `did you mean "subnets"?`) {
		t.Errorf("the hook's output has no fix:\n%s", out)
	}
	if regexp.MustCompile(`vpc-1\.yaml:\d+:`).MatchString(out) {
		t.Errorf("the hook blames the good file:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(repo, "gitops", "dc1", "managed")); !os.IsNotExist(err) {
		t.Errorf("the hook wrote to the FGD (managed/: %v)", err)
	}
}
