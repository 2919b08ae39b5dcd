package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("valid.yaml", `
fabrics:
  - name: dc1
    source:
      git: {url: "file:///srv/git/fabric.git"}
  - name: lab
    source:
      dir: {path: lab}
`)
	one := write("one.yaml", "fabrics: [{name: lab, suspended: true, source: {dir: {path: lab}}}]\n")
	invalid := write("invalid.yaml", `listen: nope
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, intervall: 1m}
  - name: dc1
`)
	missing := filepath.Join(dir, "missing.yaml")

	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string   // exact, when not ""
		inStdout   []string // substrings
		errLines   int      // exact number of stderr lines, when > 0
		inStderr   []string
		emptyStdio bool // stdout must be empty
	}{
		{name: "valid", args: []string{valid}, code: 0,
			stdout: valid + ": ok, 2 fabrics (dc1: git, lab: dir)\n"},
		{name: "one suspended fabric", args: []string{one}, code: 0,
			stdout: one + ": ok, 1 fabric (lab: dir (suspended))\n"},
		{name: "invalid lists every error", args: []string{invalid}, code: 1, emptyStdio: true, errLines: 4,
			inStderr: []string{
				invalid + `:1: listen: "nope" is not host:port`,
				invalid + `:5: fabrics[0].source.git: unknown key "intervall" in fabrics[0].source.git (did you mean "interval"?)`,
				invalid + `:6: fabrics[1].name: fabric name "dc1" is already used by fabrics[0] (line 3)`,
				invalid + `:6: fabrics[1].source: a fabric needs a source`,
				invalid + ": not valid, 4 problems",
			}},
		{name: "missing file", args: []string{missing}, code: 1, emptyStdio: true, inStderr: []string{missing, "no such file"}},
		{name: "json valid, flag first", args: []string{"--output", "json", valid}, code: 0,
			inStdout: []string{`"valid": true`, `"name": "dc1"`, `"source": "git"`}},
		{name: "json invalid, flag last", args: []string{invalid, "--output=json"}, code: 1,
			inStdout: []string{`"valid": false`, `"line": 5`, `"path": "fabrics[0].source.git"`}},
		{name: "no file", args: nil, code: 2, inStderr: []string{"want exactly one FILE, got 0", "Usage: fgd check-config"}},
		{name: "two files", args: []string{valid, one}, code: 2, inStderr: []string{"got 2"}},
		{name: "bad output", args: []string{valid, "--output", "yaml"}, code: 2, inStderr: []string{`--output must be text or json, not "yaml"`}},
		{name: "unknown flag", args: []string{"--verbose", valid}, code: 2, inStderr: []string{"flag provided but not defined"}},
		{name: "help", args: []string{"-h"}, code: 0, inStdout: []string{"Usage: fgd check-config"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cmdCheckConfig(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.stdout != "" && stdout.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			if tc.emptyStdio && stdout.Len() != 0 {
				t.Errorf("stdout should be empty, got %q", stdout.String())
			}
			for _, s := range tc.inStdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if tc.errLines > 0 {
				if n := strings.Count(stderr.String(), "\n"); n != tc.errLines+1 {
					t.Errorf("stderr has %d lines, want %d problems and a summary:\n%s", n, tc.errLines, stderr.String())
				}
			}
			for _, s := range tc.inStderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}

// TestCheckConfigJSONShape decodes the JSON output of an invalid file.
func TestCheckConfigJSONShape(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("listen: nope\nlog: {level: loud}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cmdCheckConfig([]string{"--output", "json", p}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	var res struct {
		File   string `json:"file"`
		Valid  bool   `json:"valid"`
		Errors []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if res.File != p || res.Valid || len(res.Errors) != 2 ||
		res.Errors[0].Line != 1 || res.Errors[0].Path != "listen" ||
		res.Errors[1].Line != 2 || res.Errors[1].Path != "log.level" || res.Errors[1].File != p {
		t.Errorf("unexpected result: %+v", res)
	}
}
