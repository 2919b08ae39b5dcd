package config_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
)

// TestDefaults checks every default on a configuration that sets only what
// is required.
func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	text := yamlText(`
fabrics:
  - name: g
    source:
      git: {url: https://git.example/o/r.git}
    sinks:
      - directory: {path: out}
      - exec: {command: [kubectl, apply, -f, -]}
  - name: d
    source:
      dir: {path: fgd}
`)
	cfg, err := config.Parse([]byte(text), "config.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, "127.0.0.1:9477"},
		{"state_dir", cfg.StateDir, "/var/lib/fgd"},
		{"shutdown_timeout", cfg.ShutdownTimeout, 30 * time.Second},
		{"max_concurrent_syncs", cfg.MaxConcurrentSyncs, 0},
		{"memory_limit_mib", cfg.MemoryLimitMiB, 0},
		{"SyncLimit", cfg.SyncLimit(), 4 * runtime.NumCPU()},
		{"log.level", cfg.Log.Level, "info"},
		{"log.format", cfg.Log.Format, "auto"},
		{"api.token_file", cfg.API.TokenFile, ""},
		{"api.token_name", cfg.API.TokenName, "operator"},
		{"api.read_token_name", cfg.API.ReadTokenName, "reader"},
		{"suspended", cfg.Fabrics[0].Suspended, false},
		{"git", *cfg.Fabrics[0].Source.Git, config.GitSource{
			URL: "https://git.example/o/r.git", Branch: "main", Path: ".",
			Interval: time.Minute, Timeout: 30 * time.Second, Push: true,
			Author: config.Author{Name: "fgd", Email: "fgd@localhost"},
		}},
		{"directory sink", *cfg.Fabrics[0].Sinks[0].Directory, config.DirectorySink{
			Path: filepath.Join(dir, "out"), Prune: false, AllowEmpty: false, Mode: config.ModeApply,
		}},
		{"exec sink", *cfg.Fabrics[0].Sinks[1].Exec, config.ExecSink{
			Command: []string{"kubectl", "apply", "-f", "-"}, Timeout: 60 * time.Second, Mode: config.ModeApply,
		}},
		{"dir source", *cfg.Fabrics[1].Source.Dir, config.DirSource{
			Path: filepath.Join(dir, "fgd"), RescanInterval: 5 * time.Minute, Debounce: 250 * time.Millisecond,
		}},
		{"kinds", []string{cfg.Fabrics[0].Source.Kind(), cfg.Fabrics[1].Source.Kind(), cfg.Fabrics[0].Sinks[0].Kind(), cfg.Fabrics[0].Sinks[1].Kind()},
			[]string{"git", "dir", "directory", "exec"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

// TestExplicitValuesBeatDefaults checks that a value written in the file is
// kept even where it equals the zero value (push: false against a default of
// true).
func TestExplicitValuesBeatDefaults(t *testing.T) {
	text := yamlText(`
max_concurrent_syncs: 3
log: {level: debug}
fabrics:
  - name: g
    source:
      git: {url: https://git.example/o/r.git, push: false, branch: release, interval: 2m, author: {name: bot}}
`)
	cfg, err := config.Parse([]byte(text), "config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Fabrics[0].Source.Git
	if g.Push || g.Branch != "release" || g.Interval != 2*time.Minute || g.Author.Name != "bot" || g.Author.Email != "fgd@localhost" {
		t.Errorf("git source: %+v", g)
	}
	if cfg.SyncLimit() != 3 || cfg.Log.Level != "debug" || cfg.Log.Format != "auto" {
		t.Errorf("globals: %+v", cfg)
	}
}

// TestLoadResolvesRelativePaths loads a configuration by a relative path
// from another working directory: its relative paths must be resolved
// against the configuration file's directory, absolute ones kept.
func TestLoadResolvesRelativePaths(t *testing.T) {
	root := t.TempDir()
	confDir := filepath.Join(root, "etc", "fgd")
	writeFile(t, confDir, "secrets/api", "tok\n", 0o600)
	writeFile(t, confDir, "secrets/key", "key\n", 0o600)
	writeFile(t, confDir, "secrets/env", "val\n", 0o600)
	writeFile(t, confDir, "known_hosts", "h k\n", 0o644)
	writeFile(t, confDir, "config.yaml", yamlText(`
state_dir: state
api: {token_file: secrets/api}
fabrics:
  - name: d
    source: {dir: {path: ../../fgd}}
    sinks:
      - directory: {path: /srv/out}
      - exec: {command: [./apply.sh], dir: work, env_files: {TOKEN_X: secrets/env}}
  - name: g
    source:
      git:
        url: git@git.example:o/r.git
        path: gitops/./g/
        auth: {ssh_key_file: ./secrets/key, known_hosts_file: known_hosts}
`), 0o644)
	t.Chdir(root)

	cfg, err := config.Load(filepath.Join("etc", "fgd", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exec := cfg.Fabrics[0].Sinks[1].Exec
	auth := cfg.Fabrics[1].Source.Git.Auth
	checks := []struct{ name, got, want string }{
		{"File", cfg.File, filepath.Join("etc", "fgd", "config.yaml")},
		{"state_dir", cfg.StateDir, filepath.Join(confDir, "state")},
		{"api.token_file", cfg.API.TokenFile, filepath.Join(confDir, "secrets", "api")},
		{"dir path", cfg.Fabrics[0].Source.Dir.Path, filepath.Join(root, "fgd")},
		{"absolute sink path", cfg.Fabrics[0].Sinks[0].Directory.Path, "/srv/out"},
		{"exec command stays as written", exec.Command[0], "./apply.sh"},
		{"exec dir", exec.Dir, filepath.Join(confDir, "work")},
		{"exec env_files", exec.EnvFiles["TOKEN_X"], filepath.Join(confDir, "secrets", "env")},
		{"ssh_key_file", auth.SSHKeyFile, filepath.Join(confDir, "secrets", "key")},
		{"known_hosts_file", auth.KnownHostsFile, filepath.Join(confDir, "known_hosts")},
		{"git path is inside the repo, only cleaned", cfg.Fabrics[1].Source.Git.Path, "gitops/g"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestLoadErrors covers the errors of Load that are not about the content.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	big := writeFile(t, dir, "big.yaml", "# "+strings.Repeat("x", 1<<20)+"\n", 0o644)
	cases := []struct{ name, path, want string }{
		{"missing file", filepath.Join(dir, "nope.yaml"), "no such file"},
		{"directory", dir, "is a directory"},
		{"too large", big, "larger than 1024 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
			if _, ok := err.(*config.ValidationError); ok {
				t.Errorf("want a plain error, got a ValidationError")
			}
		})
	}
	// A file that is there but not valid gives a ValidationError naming it.
	p := writeFile(t, dir, "bad.yaml", "listen: nope\n", 0o644)
	_, err := config.Load(p)
	if errs := fieldErrors(t, err); len(errs) != 1 || errs[0].File != p || errs[0].Line != 1 {
		t.Errorf("got %+v", errs)
	}
}

// TestFieldErrorFormat pins the printed form of a problem.
func TestFieldErrorFormat(t *testing.T) {
	cases := []struct {
		e    config.FieldError
		want string
	}{
		{config.FieldError{File: "c.yaml", Line: 3, Path: "listen", Message: "bad"}, "c.yaml:3: listen: bad"},
		{config.FieldError{File: "c.yaml", Line: 3, Message: "bad"}, "c.yaml:3: bad"},
		{config.FieldError{File: "c.yaml", Message: "bad"}, "c.yaml: bad"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// TestConfigHoldsNoSecretValues checks that a Config holds secret paths:
// printing it never shows a secret, which only ReadSecret returns.
func TestConfigHoldsNoSecretValues(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "tok", "very-secret-token\n", 0o600)
	cfg, err := config.Parse([]byte("api: {token_file: tok}\n"), "c.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", *cfg)} {
		if strings.Contains(form, "very-secret-token") {
			t.Fatalf("config printed a secret: %s", form)
		}
	}
	got, err := config.ReadSecret(cfg.API.TokenFile)
	if err != nil || got != "very-secret-token" {
		t.Fatalf("ReadSecret: %q, %v", got, err)
	}
}
