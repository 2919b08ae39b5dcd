// Package exec is the exec sink: it runs a configured command for a
// fabric's changed resources, the manifests on its stdin as one
// multi-document YAML stream, and a separate prune command for the deleted
// ones. Each run has a timeout that kills the command's whole process
// group, a minimal environment, and a bounded output with secrets removed.
package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	osexec "os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fgdproject/fgd/internal/config"
)

// Defaults for a Runner's options.
const (
	DefaultTimeout   = 60 * time.Second
	DefaultMaxOutput = 64 << 10
	// MinMaxOutput is the smallest MaxOutput accepted.
	MinMaxOutput = 4 * markerReserve
	// waitDelay bounds the wait for the output pipes once the command
	// has exited or been killed: a descendant that escaped the process
	// group and holds them cannot hang a sync.
	waitDelay = 2 * time.Second
)

// inheritedEnv are the only variables a command gets from the daemon.
var inheritedEnv = []string{"PATH", "HOME", "LANG"}

// Options configures a Runner.
type Options struct {
	// Command is the argv run for created and updated resources.
	Command []string
	// PruneCommand is the argv run for deleted resources; none when empty.
	PruneCommand []string
	// Env adds variables to the command's environment.
	Env map[string]string
	// EnvFiles adds variables whose values are secrets, read from the
	// named files on every run (config.ReadSecret) and removed from the
	// output.
	EnvFiles map[string]string
	// Dir is the command's working directory; the daemon's when empty.
	Dir string
	// Timeout bounds a run (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxOutput bounds the output kept of a run (DefaultMaxOutput when
	// zero): its head and its tail.
	MaxOutput int
	Logger    *slog.Logger
}

// Runner runs a sink's commands. It is safe for concurrent use.
type Runner struct {
	opts Options
	log  *slog.Logger
}

// Outcome is what one run did.
type Outcome struct {
	// ExitCode is the command's exit status: 0 on success, -1 when it did
	// not run or was killed by a signal.
	ExitCode int
	// Output is stdout and stderr interleaved, bounded, secrets redacted.
	Output   string
	Duration time.Duration
	// Err is nil when the command ran and exited 0, or when there was
	// nothing to run.
	Err error
}

// New checks o and returns a Runner.
func New(o Options) (*Runner, error) {
	if len(o.Command) == 0 || o.Command[0] == "" {
		return nil, errors.New("exec sink: command is empty: set command to the argv to run, e.g. [kubectl, apply, --server-side, -f, -]")
	}
	if len(o.PruneCommand) > 0 && o.PruneCommand[0] == "" {
		return nil, errors.New("exec sink: prune_command starts with an empty program name")
	}
	for k := range o.Env {
		if err := checkEnvName(k); err != nil {
			return nil, fmt.Errorf("exec sink: env: %w", err)
		}
	}
	for k, path := range o.EnvFiles {
		if err := checkEnvName(k); err != nil {
			return nil, fmt.Errorf("exec sink: env_files: %w", err)
		}
		if _, dup := o.Env[k]; dup {
			return nil, fmt.Errorf("exec sink: %s is set in both env and env_files: keep one", k)
		}
		if path == "" {
			return nil, fmt.Errorf("exec sink: env_files: %s names no file", k)
		}
	}
	if o.Dir != "" {
		fi, err := os.Stat(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("exec sink: working directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("exec sink: working directory %s is not a directory", o.Dir)
		}
	}
	switch {
	case o.Timeout < 0:
		return nil, fmt.Errorf("exec sink: timeout %s is negative", o.Timeout)
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.MaxOutput == 0:
		o.MaxOutput = DefaultMaxOutput
	case o.MaxOutput < MinMaxOutput:
		return nil, fmt.Errorf("exec sink: max output %d is below the minimum of %d bytes", o.MaxOutput, MinMaxOutput)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Runner{opts: o, log: o.Logger.With("sink", "exec")}, nil
}

// Apply runs Command with manifests on its stdin as one multi-document
// stream. An empty list runs nothing.
func (r *Runner) Apply(ctx context.Context, manifests [][]byte) Outcome {
	if len(manifests) == 0 {
		return Outcome{}
	}
	return r.run(ctx, "apply", r.opts.Command, manifests)
}

// Prune runs PruneCommand with the deleted manifests on its stdin. It runs
// nothing when there is no PruneCommand or nothing was deleted.
func (r *Runner) Prune(ctx context.Context, manifests [][]byte) Outcome {
	if len(r.opts.PruneCommand) == 0 || len(manifests) == 0 {
		return Outcome{}
	}
	return r.run(ctx, "prune", r.opts.PruneCommand, manifests)
}

func (r *Runner) run(ctx context.Context, what string, argv []string, manifests [][]byte) Outcome {
	start := time.Now()
	env, secrets, err := r.environ()
	if err != nil {
		return Outcome{ExitCode: -1, Err: fmt.Errorf("exec sink %s: %w", what, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()

	out := newBoundedBuffer(r.opts.MaxOutput)
	red := newRedactor(secrets, out)
	cmd := osexec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = r.opts.Dir
	cmd.Stdin = bytes.NewReader(stream(manifests))
	cmd.Stdout, cmd.Stderr = red, red
	// Its own process group, so a timeout kills the command with every
	// child it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay

	err = cmd.Run()
	red.flush()
	o := Outcome{ExitCode: -1, Output: out.String(), Duration: time.Since(start)}
	if cmd.ProcessState != nil {
		o.ExitCode = cmd.ProcessState.ExitCode()
	}
	if errors.Is(err, osexec.ErrWaitDelay) {
		// The command succeeded but left a descendant holding its
		// output: end the stragglers of its group.
		_ = killGroup(cmd.Process.Pid)
		err = nil
	}
	o.Err = r.explain(ctx, what, argv, err, o)
	log := r.log.With("command", argv[0], "run", what, "manifests", len(manifests), "exit_code", o.ExitCode, "duration", o.Duration)
	if o.Err != nil {
		log.Warn("sink command failed", "err", o.Err)
	} else {
		log.Info("sink command succeeded")
	}
	return o
}

// explain turns a run's error into one that says what happened and what
// the command said last.
func (r *Runner) explain(ctx context.Context, what string, argv []string, err error, o Outcome) error {
	if err == nil {
		return nil
	}
	tail := ""
	if l := lastLine(o.Output); l != "" {
		tail = ": " + l
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("exec sink %s: %s timed out after %s and was killed with its process group (raise the sink's timeout if it needs longer)%s",
			what, argv[0], seconds(r.opts.Timeout), tail)
	case ctx.Err() != nil:
		return fmt.Errorf("exec sink %s: %s was stopped: %w", what, argv[0], context.Cause(ctx))
	}
	var exitErr *osexec.ExitError
	if errors.As(err, &exitErr) {
		if st, ok := exitErr.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return fmt.Errorf("exec sink %s: %s was killed by signal %s%s", what, argv[0], st.Signal(), tail)
		}
		return fmt.Errorf("exec sink %s: %s exited with code %d%s", what, argv[0], o.ExitCode, tail)
	}
	return fmt.Errorf("exec sink %s: run %s: %w (check the command and that it is installed on the daemon's PATH)", what, argv[0], err)
}

// environ is the command's environment: PATH, HOME and LANG of the daemon,
// then Env, then EnvFiles read now. It also returns the secret values.
func (r *Runner) environ() (env, secrets []string, err error) {
	vars := map[string]string{}
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range r.opts.Env {
		vars[k] = v
	}
	for k, path := range r.opts.EnvFiles {
		v, err := config.ReadSecret(path)
		if err != nil {
			return nil, nil, fmt.Errorf("env %s: %w", k, err)
		}
		vars[k] = v
		secrets = append(secrets, v)
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env, secrets, nil
}

// stream joins manifests into one multi-document YAML stream.
func stream(manifests [][]byte) []byte {
	var b bytes.Buffer
	for i, m := range manifests {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(m)
		if len(m) > 0 && m[len(m)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func checkEnvName(k string) error {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return fmt.Errorf("%q is not a valid variable name", k)
	}
	return nil
}

// seconds renders d as "60s" (time.Duration would say "1m0s").
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
