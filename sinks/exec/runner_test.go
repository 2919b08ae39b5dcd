package exec

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newRunner(t *testing.T, o Options) *Runner {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sh(script string, args ...string) []string {
	return append([]string{"sh", "-c", script, "sh"}, args...)
}

// secretFile writes a secret file as an operator would (mode 0600).
func secretFile(t *testing.T, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestApplyStdinIsOneStream(t *testing.T) {
	cases := []struct {
		name      string
		manifests [][]byte
		want      string
	}{
		{"one", [][]byte{[]byte("kind: VPC\nname: a\n")}, "kind: VPC\nname: a\n"},
		{"three", [][]byte{[]byte("a: 1\n"), []byte("b: 2\n"), []byte("c: 3\n")}, "a: 1\n---\nb: 2\n---\nc: 3\n"},
		{"missing newline", [][]byte{[]byte("a: 1"), []byte("b: 2")}, "a: 1\n---\nb: 2\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := filepath.Join(t.TempDir(), "stdin")
			r := newRunner(t, Options{Command: sh(`cat > "$1"`, got)})
			o := r.Apply(context.Background(), tc.manifests)
			if o.Err != nil || o.ExitCode != 0 {
				t.Fatalf("outcome %+v", o)
			}
			b, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("stdin = %q, want %q", b, tc.want)
			}
		})
	}
}

func TestNothingToRunRunsNothing(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cases := []struct {
		name string
		opts Options
		run  func(*Runner) Outcome
	}{
		{"apply of nothing", Options{Command: sh(`touch "$1"`, marker)}, func(r *Runner) Outcome { return r.Apply(context.Background(), nil) }},
		{"prune of nothing", Options{Command: []string{"true"}, PruneCommand: sh(`touch "$1"`, marker)}, func(r *Runner) Outcome { return r.Prune(context.Background(), [][]byte{}) }},
		{"prune without a prune command", Options{Command: sh(`touch "$1"`, marker)}, func(r *Runner) Outcome {
			return r.Prune(context.Background(), [][]byte{[]byte("a: 1\n")})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.run(newRunner(t, tc.opts))
			if o != (Outcome{}) {
				t.Errorf("outcome %+v, want the zero outcome", o)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("a command ran")
			}
		})
	}
}

func TestPruneRunsThePruneCommand(t *testing.T) {
	dir := t.TempDir()
	applied, pruned := filepath.Join(dir, "applied"), filepath.Join(dir, "pruned")
	r := newRunner(t, Options{Command: sh(`cat > "$1"`, applied), PruneCommand: sh(`cat > "$1"`, pruned)})
	if o := r.Prune(context.Background(), [][]byte{[]byte("gone: 1\n"), []byte("gone: 2\n")}); o.Err != nil {
		t.Fatal(o.Err)
	}
	b, err := os.ReadFile(pruned)
	if err != nil || string(b) != "gone: 1\n---\ngone: 2\n" {
		t.Errorf("prune stdin = %q, %v", b, err)
	}
	if _, err := os.Stat(applied); err == nil {
		t.Error("Prune ran the apply command")
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name     string
		script   string
		code     int
		wantErr  string // "" for success
		wantOut  string
		notInErr string
	}{
		{name: "success", script: `echo applied`, code: 0, wantOut: "applied\n"},
		{name: "failure names code and last line", script: `echo first; echo "error: the server said no" >&2; exit 3`, code: 3,
			wantErr: "sh exited with code 3: error: the server said no", wantOut: "first\nerror: the server said no\n", notInErr: "first"},
		{name: "failure without output", script: `exit 1`, code: 1, wantErr: "exited with code 1"},
		{name: "killed by a signal", script: `kill -KILL $$`, code: -1, wantErr: "was killed by signal killed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, Options{Command: sh(tc.script)})
			o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
			if o.ExitCode != tc.code {
				t.Errorf("exit code %d, want %d", o.ExitCode, tc.code)
			}
			if tc.wantErr == "" {
				if o.Err != nil {
					t.Errorf("err = %v", o.Err)
				}
			} else if o.Err == nil || !strings.Contains(o.Err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", o.Err, tc.wantErr)
			}
			if tc.notInErr != "" && o.Err != nil && strings.Contains(o.Err.Error(), tc.notInErr) {
				t.Errorf("err = %v: it should name only the last line", o.Err)
			}
			if tc.wantOut != "" && o.Output != tc.wantOut {
				t.Errorf("output %q, want %q", o.Output, tc.wantOut)
			}
			if o.Duration <= 0 {
				t.Errorf("duration %v", o.Duration)
			}
		})
	}
}

func TestCommandNotFound(t *testing.T) {
	r := newRunner(t, Options{Command: []string{"fgd-no-such-command"}})
	o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
	if o.Err == nil || !strings.Contains(o.Err.Error(), "fgd-no-such-command") || !strings.Contains(o.Err.Error(), "PATH") {
		t.Errorf("err = %v, want one naming the command and PATH", o.Err)
	}
	if o.ExitCode != -1 {
		t.Errorf("exit code %d, want -1", o.ExitCode)
	}
}

// TestTimeoutKillsTheProcessGroup: the command, its children and theirs
// are killed at the timeout, and Apply returns soon after, although a
// grandchild holds the output pipe open.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	// sh is the child; both sleeps are grandchildren, and the one in the
	// background keeps stdout open, as a stray daemon would.
	script := `echo $$ > "$1.tmp"; sleep 100 & echo $! >> "$1.tmp"; sleep 100 & echo $! >> "$1.tmp"; mv "$1.tmp" "$1"; wait`
	r := newRunner(t, Options{Command: sh(script, pids), Timeout: 3 * time.Second})
	done := make(chan Outcome, 1)
	go func() { done <- r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")}) }()
	var o Outcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Apply did not return within 30 s of a 3 s timeout")
	}
	if o.Err == nil || !strings.Contains(o.Err.Error(), "timed out after 3s") {
		t.Fatalf("err = %v, want a timeout", o.Err)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatalf("the script did not record its pids before the timeout: %v", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 3 {
		t.Fatalf("pids %q, want 3", b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d is still alive after the timeout", pid)
			}
			waitABit()
		}
	}
}

func TestCancelStopsTheCommand(t *testing.T) {
	r := newRunner(t, Options{Command: sh(`sleep 100`)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := r.Apply(ctx, [][]byte{[]byte("a: 1\n")})
	if o.Err == nil || !strings.Contains(o.Err.Error(), "was stopped") && !strings.Contains(o.Err.Error(), "canceled") {
		t.Errorf("err = %v, want a cancellation", o.Err)
	}
}

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the ")" that closes the command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitABit pauses between polls of a bounded wait.
func waitABit() { <-time.After(20 * time.Millisecond) }

func TestOutputIsBounded(t *testing.T) {
	cases := []struct {
		name  string
		limit int
		bytes int
	}{
		{"small limit", 1024, 1 << 20},
		{"default limit", 0, 1 << 20},
		{"under the limit", 4096, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, Options{Command: sh(`yes 'a line of output' | head -c "$1"; echo; echo the last line`, strconv.Itoa(tc.bytes)), MaxOutput: tc.limit})
			o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			limit := tc.limit
			if limit == 0 {
				limit = DefaultMaxOutput
			}
			if len(o.Output) > limit {
				t.Errorf("output of %d bytes, limit %d", len(o.Output), limit)
			}
			if !strings.HasPrefix(o.Output, "a line of output\n") || !strings.HasSuffix(o.Output, "the last line\n") {
				t.Errorf("output lost its head or tail: %q…%q", o.Output[:min(40, len(o.Output))], o.Output[max(0, len(o.Output)-40):])
			}
			dropped := strings.Contains(o.Output, "bytes of output dropped")
			if dropped != (tc.bytes > limit) {
				t.Errorf("dropped note present = %v for %d bytes under a limit of %d", dropped, tc.bytes, limit)
			}
		})
	}
}

func TestSecretsNeverInOutput(t *testing.T) {
	const secret = "s3cr3t-T0ken-value"
	cases := []struct {
		name   string
		script string
	}{
		{"stdout", `echo "token=$TOKEN"`},
		{"stderr and the error's last line", `echo "$TOKEN" >&2; exit 2`},
		{"split across writes", `printf %s "$(echo "$TOKEN" | cut -c1-5)"; sleep 0.2; printf '%s\n' "$(echo "$TOKEN" | cut -c6-)"`},
		{"at the edge of the bound", `yes "x$TOKEN" | head -c 200000; echo "$TOKEN"`},
		{"many", `i=0; while [ $i -lt 300 ]; do printf '%s' "$TOKEN"; i=$((i+1)); done; echo`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, Options{Command: sh(tc.script), EnvFiles: map[string]string{"TOKEN": secretFile(t, secret)}, MaxOutput: 1000})
			o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
			for what, s := range map[string]string{"output": o.Output, "error": errString(o.Err)} {
				if strings.Contains(s, secret) {
					t.Errorf("the secret is in the %s: %q", what, s)
				}
				// No sizable piece of it either (a cut at the bound).
				if strings.Contains(s, secret[:8]) || strings.Contains(s, secret[len(secret)-8:]) {
					t.Errorf("a piece of the secret is in the %s: %q", what, s)
				}
			}
			if !strings.Contains(o.Output, Redacted) {
				t.Errorf("output %q shows no redaction: did the command see the secret?", o.Output)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("FGD_TEST_DAEMON_ONLY", "must not leak")
	t.Setenv("HOME", "/home/fgd-test")
	t.Setenv("LANG", "C.UTF-8")
	r := newRunner(t, Options{
		Command:  []string{"env"},
		Env:      map[string]string{"KUBECONFIG": "/etc/fgd/kubeconfig"},
		EnvFiles: map[string]string{"API_TOKEN": secretFile(t, "tok")},
	})
	o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(o.Output), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
	}
	var names []string
	for k := range got {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"API_TOKEN", "HOME", "KUBECONFIG", "LANG", "PATH"}; !slices.Equal(names, want) {
		t.Errorf("environment %v, want exactly %v", names, want)
	}
	if got["HOME"] != "/home/fgd-test" || got["LANG"] != "C.UTF-8" || got["PATH"] != os.Getenv("PATH") || got["KUBECONFIG"] != "/etc/fgd/kubeconfig" {
		t.Errorf("environment %v", got)
	}
	if got["API_TOKEN"] != Redacted {
		t.Errorf("API_TOKEN shows as %q in the output, want it redacted", got["API_TOKEN"])
	}
}

func TestSecretReadOnEveryRun(t *testing.T) {
	path := secretFile(t, "first")
	got := filepath.Join(t.TempDir(), "seen")
	r := newRunner(t, Options{Command: sh(`printf %s "$TOKEN" > "$1"`, got), EnvFiles: map[string]string{"TOKEN": path}})
	for _, want := range []string{"first", "rotated"} {
		if err := os.WriteFile(path, []byte(want+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")}); o.Err != nil {
			t.Fatal(o.Err)
		}
		if b, _ := os.ReadFile(got); string(b) != want {
			t.Errorf("the command saw %q, want %q", b, want)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
	if o.Err == nil || !strings.Contains(o.Err.Error(), "env TOKEN") || !strings.Contains(o.Err.Error(), "does not exist") {
		t.Errorf("err = %v, want the missing secret file named", o.Err)
	}
}

func TestWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	r := newRunner(t, Options{Command: []string{"pwd"}, Dir: dir})
	o := r.Apply(context.Background(), [][]byte{[]byte("a: 1\n")})
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := strings.TrimSpace(o.Output); got != dir && got != real {
		t.Errorf("pwd = %q, want %q", got, dir)
	}
}

func TestNewValidates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"no command", Options{}, "command is empty"},
		{"empty program", Options{Command: []string{""}}, "command is empty"},
		{"empty prune program", Options{Command: []string{"true"}, PruneCommand: []string{""}}, "prune_command"},
		{"bad env name", Options{Command: []string{"true"}, Env: map[string]string{"A=B": "x"}}, "not a valid variable name"},
		{"env twice", Options{Command: []string{"true"}, Env: map[string]string{"T": "x"}, EnvFiles: map[string]string{"T": file}}, "in both env and env_files"},
		{"env file unnamed", Options{Command: []string{"true"}, EnvFiles: map[string]string{"T": ""}}, "names no file"},
		{"dir missing", Options{Command: []string{"true"}, Dir: "/nonexistent/fgd"}, "working directory"},
		{"dir is a file", Options{Command: []string{"true"}, Dir: file}, "is not a directory"},
		{"negative timeout", Options{Command: []string{"true"}, Timeout: -time.Second}, "negative"},
		{"tiny output", Options{Command: []string{"true"}, MaxOutput: 10}, "below the minimum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{60 * time.Second: "60s", 3 * time.Second: "3s", 1500 * time.Millisecond: "1.5s"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
