package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionScript runs fgd completion SHELL through dispatch and writes
// the script into a temp folder, which it returns with the script's path.
func completionScript(t *testing.T, shell string) (dir, path, script string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"completion", shell}, &stdout, &stderr); code != 0 {
		t.Fatalf("fgd completion %s: exit %d: %s", shell, code, stderr.String())
	}
	dir = t.TempDir()
	path = filepath.Join(dir, "fgd."+shell)
	if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path, stdout.String()
}

// expectedWords lists, from the command table and each command's own flag
// set (not from the completion model), the subcommands and, per command,
// the flags a script must offer; and the hidden aliases it must not.
func expectedWords(t *testing.T) (cmds []string, flags map[string][]string, hidden []string) {
	t.Helper()
	flags = map[string][]string{}
	for name, c := range commands() {
		cmds = append(cmds, name)
		c.flags().VisitAll(func(f *flag.Flag) {
			if _, alias := f.Value.(aliasValue); alias {
				hidden = append(hidden, f.Name)
				return
			}
			flags[name] = append(flags[name], f.Name)
		})
		flags[name] = append(flags[name], "help")
	}
	slices.Sort(cmds)
	if len(hidden) == 0 {
		t.Fatal("no hidden alias found: the run command should keep --log.level")
	}
	return cmds, flags, hidden
}

// TestCompletionScriptsListEverything checks that each shell's script
// names every subcommand and every flag of it, and no hidden alias, and
// that the shell, where installed, accepts its syntax.
func TestCompletionScriptsListEverything(t *testing.T) {
	cmds, flags, hidden := expectedWords(t)
	for _, tc := range []struct {
		shell string
		has   func(script, flag string) bool // whether the script offers a flag
		check []string                       // syntax-only check command
	}{
		{"bash", func(s, f string) bool { return strings.Contains(s, "--"+f+" ") || strings.Contains(s, "--"+f+"'") }, []string{"bash", "-n"}},
		{"zsh", func(s, f string) bool { return strings.Contains(s, "--"+f+"[") || strings.Contains(s, "--"+f+"=[") }, []string{"zsh", "-n"}},
		{"fish", func(s, f string) bool { return strings.Contains(s, " -l "+f+" ") }, []string{"fish", "--no-config", "-n"}},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			_, path, script := completionScript(t, tc.shell)
			for _, c := range cmds {
				if !strings.Contains(script, c) {
					t.Errorf("the %s script does not name the command %s", tc.shell, c)
				}
				for _, f := range flags[c] {
					if !tc.has(script, f) {
						t.Errorf("the %s script does not offer %s --%s", tc.shell, c, f)
					}
				}
			}
			for _, h := range hidden {
				if tc.has(script, h) {
					t.Errorf("the %s script offers the hidden alias --%s", tc.shell, h)
				}
			}
			if _, err := exec.LookPath(tc.check[0]); err != nil {
				t.Skipf("%s is not installed: its syntax check of the script is skipped", tc.check[0])
			}
			out, err := exec.Command(tc.check[0], append(tc.check[1:], path)...).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Fatalf("%s rejects the script: %v\n%s\n%s", strings.Join(tc.check, " "), err, out, script)
			}
		})
	}
}

// completionCases are command lines (as the shell splits them, the word
// being completed last) and the completions expected, in a folder holding
// a folder fabric-a and a file fabric.txt.
var completionCases = []struct {
	words []string
	want  []string // exactly these, in any order
}{
	{[]string{"fgd", "ing"}, []string{"ingest"}},
	{[]string{"fgd", ""}, []string{"check-config", "completion", "help", "import", "ingest", "plan", "run", "status", "sync", "version", "--help"}},
	{[]string{"fgd", "plan", "--d"}, []string{"--detailed-exitcode"}},
	{[]string{"fgd", "ingest", "--lo"}, []string{"--lock-timeout"}},
	{[]string{"fgd", "plan", "--output", ""}, []string{"text", "json", "table"}},
	{[]string{"fgd", "version", "--output", "j"}, []string{"json"}},
	{[]string{"fgd", "run", "--log-level", "w"}, []string{"warn"}},
	{[]string{"fgd", "run", "--log."}, nil},
	{[]string{"fgd", "completion", ""}, []string{"bash", "fish", "zsh"}},
	{[]string{"fgd", "help", "pl"}, []string{"plan"}},
	{[]string{"fgd", "ingest", "fab"}, []string{"fabric-a"}},
	{[]string{"fgd", "check-config", "fab"}, []string{"fabric-a", "fabric.txt"}},
	{[]string{"fgd", "ingest", "--fabric", ""}, nil},
}

func completionFolder(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, "fabric-a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fabric.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sameWords(got, want []string) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// TestBashCompletion sources the bash script in a real bash and calls its
// completion function with COMP_WORDS set as bash sets them.
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	dir, path, _ := completionScript(t, "bash")
	completionFolder(t, dir)
	driver := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _fgd; printf '%s\n' "${COMPREPLY[@]}"`
	cases := append(slices.Clone(completionCases), struct {
		words []string
		want  []string
	}{[]string{"fgd", "ingest", "--output", "=", "t"}, []string{"text", "table"}}) // --output=t
	for _, tc := range cases {
		t.Run(strings.Join(tc.words, " "), func(t *testing.T) {
			cmd := exec.Command("bash", append([]string{"-c", driver, "bash", path}, tc.words...)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			if !sameWords(got, tc.want) {
				t.Errorf("completions %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFishCompletion asks a real fish, when installed, to complete with
// the fish script (complete -C).
func TestFishCompletion(t *testing.T) {
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish is not installed: the fish script is checked for content only")
	}
	dir, path, _ := completionScript(t, "fish")
	completionFolder(t, dir)
	for _, tc := range completionCases {
		line := strings.Join(tc.words, " ")
		t.Run(line, func(t *testing.T) {
			cmd := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, path, line)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			// fish offers flags only once a "-" is typed.
			want := tc.want
			if tc.words[len(tc.words)-1] == "" {
				want = slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.HasPrefix(w, "-") })
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if w, _, _ := strings.Cut(l, "\t"); w != "" {
					got = append(got, strings.TrimSuffix(w, "/"))
				}
			}
			if !sameWords(got, want) {
				t.Errorf("completions %q, want %q", got, want)
			}
		})
	}
}

// TestCompletionUsage checks the usage errors of fgd completion.
func TestCompletionUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{nil, "name one shell"},
		{[]string{"tcsh"}, `no completion script for "tcsh"`},
		{[]string{"bash", "zsh"}, "got 2 arguments"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(append([]string{"completion"}, tc.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.err) || stdout.Len() > 0 {
			t.Errorf("fgd completion %v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout.String(), stderr.String(), tc.err)
		}
	}
}
