package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryCommandHasHelp runs each command with --help (and -h) through
// dispatch: exit 0, the help on stdout with an Example section and the
// exit statuses, nothing on stderr, no colour.
func TestEveryCommandHasHelp(t *testing.T) {
	names := slices.Sorted(maps.Keys(commands()))
	if len(names) < 6 {
		t.Fatalf("only %d commands: %v", len(names), names)
	}
	for _, name := range names {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(name+" "+flag, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := dispatch([]string{name, flag}, &stdout, &stderr)
				out := stdout.String()
				if code != 0 {
					t.Errorf("exit %d, want 0; stderr %s", code, stderr.String())
				}
				if stderr.Len() > 0 {
					t.Errorf("stderr should be empty, got %q", stderr.String())
				}
				for _, want := range []string{"Usage: fgd " + name, "\nExamples:\n  ", "\nExit status:\n  0", "--help"} {
					if !strings.Contains(out, want) {
						t.Errorf("help lacks %q:\n%s", want, out)
					}
				}
				if strings.Contains(out, "\x1b") {
					t.Errorf("help holds an escape sequence (colour):\n%q", out)
				}
				// One flag style: every flag the help names is --long-name.
				for _, l := range strings.Split(out, "\n") {
					if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "-") && !strings.HasPrefix(f[0], "--") {
						t.Errorf("flag written with one dash: %q", l)
					}
				}
			})
		}
	}
	t.Run("fgd help COMMAND", func(t *testing.T) {
		var a, b, errb bytes.Buffer
		if code := dispatch([]string{"help", "plan"}, &a, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		dispatch([]string{"plan", "--help"}, &b, &errb)
		if a.String() != b.String() {
			t.Errorf("fgd help plan differs from fgd plan --help")
		}
	})
}

// TestTopLevelHelp checks fgd --help: every command, examples, the exit
// statuses; and fgd without a command: the usage on stderr, exit 2.
func TestTopLevelHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 0 {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
		out := stdout.String()
		for name := range commands() {
			if !strings.Contains(out, "\n  "+name+" ") {
				t.Errorf("%v: help does not list %s", args, name)
			}
		}
		for _, want := range []string{"Examples:", "Exit status:", "0  success", "1  error", "2  usage error", "--detailed-exitcode"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch(nil, &stdout, &stderr); code != 2 || stdout.Len() > 0 || !strings.Contains(stderr.String(), "Usage: fgd COMMAND") {
		t.Errorf("fgd without a command: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := dispatch([]string{"frobnicate"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
}

// TestOutputFlag checks --output on every command that prints data: json,
// text and its alias table are accepted, anything else is a usage error.
func TestOutputFlag(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("fabrics: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fgdDir := t.TempDir()
	for _, tc := range []struct {
		cmd  []string
		json string // a key the JSON output has
	}{
		{[]string{"version"}, `"go_version"`},
		{[]string{"check-config", cfg}, `"valid": true`},
		{[]string{"plan", fgdDir}, `"dry_run": true`},
		{[]string{"ingest", fgdDir}, `"dry_run": false`},
	} {
		for _, format := range []string{"json", "text", "table", "JSON", "yaml"} {
			t.Run(tc.cmd[0]+" "+format, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := dispatch(append(slices.Clone(tc.cmd), "--output", format), &stdout, &stderr)
				switch format {
				case "yaml":
					if code != 2 || !strings.Contains(stderr.String(), `--output must be text or json, not "yaml"`) {
						t.Errorf("exit %d, stderr %q", code, stderr.String())
					}
				case "json", "JSON":
					if code != 0 || !strings.Contains(stdout.String(), tc.json) {
						t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
					}
				default:
					if code != 0 || strings.Contains(stdout.String(), tc.json) || stdout.Len() == 0 {
						t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
					}
				}
			})
		}
	}
}

// TestDidYouMean checks that a mistyped command or flag gets the nearest
// name, and that something far from every name gets none.
func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stauts"}, "Did you mean 'fgd status'?"},
		{[]string{"ingets", "/x"}, "Did you mean 'fgd ingest'?"},
		{[]string{"plan", "--detailed-exitcod", "/x"}, "did you mean --detailed-exitcode?"},
		{[]string{"status", "--ouptut", "json"}, "did you mean --output?"},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(tc.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q in stderr:\n%s", tc.args, code, tc.want, stderr.String())
		}
		if strings.Count(stderr.String(), "\n") > 4 {
			t.Errorf("%v: a typo answers in a few lines, not the whole help:\n%s", tc.args, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"deploy"}, &stdout, &stderr); code != 2 || strings.Contains(stderr.String(), "Did you mean") {
		t.Errorf("deploy: exit %d, stderr %q: no command is close to it", code, stderr.String())
	}
}
