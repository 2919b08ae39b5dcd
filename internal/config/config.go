// Package config reads fgd's configuration file: strict YAML (unknown keys
// and wrong types are errors with line numbers), defaults, and validation.
//
// A Config holds the paths of secret files, never secret values: callers read
// a secret with ReadSecret each time they need it, so a rotated secret takes
// effect without a restart and no secret can leak through a printed Config.
package config

import (
	"runtime"
	"time"
)

// Config is one validated fgd configuration file. Relative paths in the file
// have been resolved against the file's directory.
type Config struct {
	// File is the path the configuration was loaded from (as given to Load),
	// or the name given to Parse.
	File string `yaml:"-" json:"-"`

	Listen             string        `yaml:"listen"`               // HTTP address, host:port
	StateDir           string        `yaml:"state_dir"`            // fgd's own state
	ShutdownTimeout    time.Duration `yaml:"shutdown_timeout"`     // how long SIGTERM waits for running syncs
	MaxConcurrentSyncs int           `yaml:"max_concurrent_syncs"` // 0 = 4 × CPUs; use SyncLimit
	// MemoryLimitMiB is the Go runtime's soft memory limit in MiB; 0
	// leaves the runtime's own (GOMEMLIMIT, else none).
	MemoryLimitMiB int      `yaml:"memory_limit_mib"`
	Log            Log      `yaml:"log"`
	API            API      `yaml:"api"`
	Audit          Audit    `yaml:"audit"`
	Fabrics        []Fabric `yaml:"fabrics"` // names unique
}

// Log configures the daemon's logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // auto, json, text
}

// API configures the bearer tokens of the HTTP API, by file reference.
type API struct {
	// TokenFile holds the operator token that mutating calls need; empty
	// means mutating calls are refused.
	TokenFile string `yaml:"token_file"`
	// TokenName names the operator token in the audit log.
	TokenName string `yaml:"token_name"`
	// ReadTokenFile, when set, holds the token that read calls need.
	ReadTokenFile string `yaml:"read_token_file"`
	// ReadTokenName names the read token in the audit log.
	ReadTokenName string `yaml:"read_token_name"`
	// MaxConnections caps the HTTP connections open at once; past it the
	// oldest idle one is closed, or the newcomer is answered 503.
	MaxConnections int `yaml:"max_connections"`
	// MaxEventStreams caps the event streams and long polls open at once,
	// well below MaxConnections, so they cannot take every connection.
	MaxEventStreams int `yaml:"max_event_streams"`
	// AllowedHosts are the names (host or host:port) besides the listen
	// address and loopback that requests may carry in their Host header.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// Audit configures the audit log in state_dir.
type Audit struct {
	// Retention is how long an operation's record is kept at least: a
	// rotated file is deleted only once its newest record is older.
	Retention time.Duration `yaml:"retention"`
}

// Fabric is one fabric: where its FGD comes from and where it is published.
type Fabric struct {
	Name      string `yaml:"name"`
	Suspended bool   `yaml:"suspended"`
	Source    Source `yaml:"source"`
	Sinks     []Sink `yaml:"sinks"`
}

// Source is a fabric's FGD source; exactly one of its fields is set.
type Source struct {
	Git *GitSource `yaml:"git"`
	Dir *DirSource `yaml:"dir"`
}

// Source kinds, as returned by Source.Kind.
const (
	SourceGit = "git"
	SourceDir = "dir"
)

// Kind returns "git" or "dir", or "" for a source with neither set.
func (s Source) Kind() string {
	switch {
	case s.Git != nil:
		return SourceGit
	case s.Dir != nil:
		return SourceDir
	}
	return ""
}

// GitSource is an FGD inside a git repository, polled with go-git.
type GitSource struct {
	URL               string        `yaml:"url"`
	Branch            string        `yaml:"branch"`
	Path              string        `yaml:"path"` // the FGD's path inside the repository, slash-separated and relative
	Interval          time.Duration `yaml:"interval"`
	Timeout           time.Duration `yaml:"timeout"`
	Auth              GitAuth       `yaml:"auth"`
	WebhookSecretFile string        `yaml:"webhook_secret_file"`
	Push              bool          `yaml:"push"`
	Author            Author        `yaml:"author"`
	// Verify, when set, requires the fetched revisions to be signed by a
	// trusted key before anything of them is ingested or applied.
	Verify *GitVerify `yaml:"verify"`
}

// Verification modes of GitVerify.Mode.
const (
	// VerifyHead checks the signature of the fetched head only.
	VerifyHead = "head"
	// VerifyAll checks every commit between the last verified one and the
	// fetched head.
	VerifyAll = "all"
)

// GitVerify says which commit signatures a git source trusts. The trust
// files hold public keys: OpenPGP keys (armored) and ssh keys in git's
// allowed-signers format; at least one of them is set.
type GitVerify struct {
	Mode                  string `yaml:"mode"` // head or all
	OpenPGPKeyringFile    string `yaml:"openpgp_keyring_file"`
	SSHAllowedSignersFile string `yaml:"ssh_allowed_signers_file"`
}

// RepoSettings are the settings of a git source that belong to its
// repository rather than to the fabric: fabrics of one url and branch share
// one clone and one poller, so these must agree among them.
type RepoSettings struct {
	Interval, Timeout time.Duration
	Auth              GitAuth
	Author            Author
	Verify            GitVerify // the zero value: no verification
}

// RepoSettings returns the repository's settings of g.
func (g *GitSource) RepoSettings() RepoSettings {
	rs := RepoSettings{Interval: g.Interval, Timeout: g.Timeout, Auth: g.Auth, Author: g.Author}
	if g.Verify != nil {
		rs.Verify = *g.Verify
	}
	return rs
}

// Diff names, by their config keys, the settings in which b differs from
// a: "interval", "timeout", "auth", "author", "verify".
func (a RepoSettings) Diff(b RepoSettings) []string {
	var d []string
	if a.Interval != b.Interval {
		d = append(d, "interval")
	}
	if a.Timeout != b.Timeout {
		d = append(d, "timeout")
	}
	if a.Auth != b.Auth {
		d = append(d, "auth")
	}
	if a.Author != b.Author {
		d = append(d, "author")
	}
	if a.Verify != b.Verify {
		d = append(d, "verify")
	}
	return d
}

// GitAuth holds the credentials of a git remote, by file reference.
type GitAuth struct {
	Username                 string `yaml:"username"`
	PasswordFile             string `yaml:"password_file"`
	SSHKeyFile               string `yaml:"ssh_key_file"`
	KnownHostsFile           string `yaml:"known_hosts_file"`
	InsecureSkipHostKeyCheck bool   `yaml:"insecure_skip_host_key_check"`
}

// Author is the git identity of the commits fgd makes.
type Author struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	// SigningKeyFile, when set, holds the private key (OpenPGP, armored, or
	// OpenSSH) fgd signs its commits with.
	SigningKeyFile string `yaml:"signing_key_file"`
}

// DirSource is an FGD in a local directory, watched with fsnotify.
type DirSource struct {
	Path           string        `yaml:"path"`
	RescanInterval time.Duration `yaml:"rescan_interval"`
	Debounce       time.Duration `yaml:"debounce"`
}

// Sink is one place a fabric's desired set is published; exactly one of its
// fields is set.
type Sink struct {
	Directory  *DirectorySink  `yaml:"directory"`
	Exec       *ExecSink       `yaml:"exec"`
	Kubernetes *KubernetesSink `yaml:"kubernetes"`
}

// Sink kinds, as returned by Sink.Kind.
const (
	SinkDirectory  = "directory"
	SinkExec       = "exec"
	SinkKubernetes = "kubernetes"
)

// Kind returns "directory", "exec" or "kubernetes", or "" for a sink with
// none set.
func (s Sink) Kind() string {
	switch {
	case s.Directory != nil:
		return SinkDirectory
	case s.Exec != nil:
		return SinkExec
	case s.Kubernetes != nil:
		return SinkKubernetes
	}
	return ""
}

// SinkMode says whether a sink applies changes or only reports drift.
type SinkMode string

// The sink modes.
const (
	ModeApply      SinkMode = "apply"
	ModeDetectOnly SinkMode = "detect-only"
)

// DirectorySink publishes the desired set as a directory tree.
type DirectorySink struct {
	Path       string   `yaml:"path"`
	Prune      bool     `yaml:"prune"`
	AllowEmpty bool     `yaml:"allow_empty"`
	Mode       SinkMode `yaml:"mode"`
}

// ExecSink runs a command with the changed manifests on stdin.
type ExecSink struct {
	Command      []string          `yaml:"command"`
	PruneCommand []string          `yaml:"prune_command"`
	Env          map[string]string `yaml:"env"`
	// EnvFiles maps environment variable names to secret files; the sink
	// reads each file (ReadSecret) when it runs the command.
	EnvFiles map[string]string `yaml:"env_files"`
	Dir      string            `yaml:"dir"`
	Timeout  time.Duration     `yaml:"timeout"`
	Mode     SinkMode          `yaml:"mode"`
	// AllowEmpty lets the prune command get every resource when the
	// desired set comes out empty.
	AllowEmpty bool `yaml:"allow_empty"`
}

// KubernetesSink applies the desired set to a cluster's API with
// server-side apply.
type KubernetesSink struct {
	// KubeconfigFile holds credentials: it is read (again when it changes)
	// by the sink and never logged.
	KubeconfigFile string `yaml:"kubeconfig_file"`
	// Context is the kubeconfig context; "" is its current context.
	Context string `yaml:"context"`
	// Namespace is given to resources whose document names none.
	Namespace      string   `yaml:"namespace"`
	FieldManager   string   `yaml:"field_manager"`
	ForceConflicts bool     `yaml:"force_conflicts"`
	Prune          bool     `yaml:"prune"`
	AllowEmpty     bool     `yaml:"allow_empty"`
	Mode           SinkMode `yaml:"mode"`
}

// Bounds of memory_limit_mib. Below 64 MiB the daemon's own working set
// (the CRD schemas, the HTTP server, one fabric's sync) would hold the heap
// at the limit and the collector would run without pause; the upper bound
// keeps MiB × 2^20 far from overflowing.
const (
	MinMemoryLimitMiB = 64
	MaxMemoryLimitMiB = 1 << 30
)

// Defaults, as documented in config.example.yaml.
const (
	DefaultListen          = "127.0.0.1:9477"
	DefaultStateDir        = "/var/lib/fgd"
	DefaultShutdownTimeout = 30 * time.Second
	DefaultGitBranch       = "main"
	DefaultGitPath         = "."
	DefaultGitInterval     = time.Minute
	DefaultGitTimeout      = 30 * time.Second
	DefaultAuthorName      = "fgd"
	DefaultAuthorEmail     = "fgd@localhost"
	DefaultRescanInterval  = 5 * time.Minute
	DefaultDebounce        = 250 * time.Millisecond
	DefaultExecTimeout     = 60 * time.Second
	DefaultTokenName       = "operator"
	DefaultReadTokenName   = "reader"
	// DefaultMaxConnections and DefaultMaxEventStreams stay far below the
	// unit's LimitNOFILE (65536), leaving descriptors for git, sinks and
	// the file watcher.
	DefaultMaxConnections  = 1024
	DefaultMaxEventStreams = 256
	DefaultAuditRetention  = 30 * 24 * time.Hour
	DefaultKubeNamespace   = "default"
	DefaultFieldManager    = "fgd"
)

// defaulter is implemented by the config structs that have defaults. The
// decoder applies them to a fresh value before the file's keys are decoded
// over it, so a key in the file always wins and an explicit bad value (say
// interval: 0s) is reported rather than silently replaced.
type defaulter interface{ applyDefaults() }

func (c *Config) applyDefaults() {
	c.Listen = DefaultListen
	c.StateDir = DefaultStateDir
	c.ShutdownTimeout = DefaultShutdownTimeout
	c.Log.applyDefaults()
	c.API.applyDefaults()
	c.Audit.Retention = DefaultAuditRetention
}

func (l *Log) applyDefaults() { l.Level, l.Format = "info", "auto" }

func (a *API) applyDefaults() {
	a.TokenName, a.ReadTokenName = DefaultTokenName, DefaultReadTokenName
	a.MaxConnections, a.MaxEventStreams = DefaultMaxConnections, DefaultMaxEventStreams
}

func (g *GitSource) applyDefaults() {
	g.Branch = DefaultGitBranch
	g.Path = DefaultGitPath
	g.Interval = DefaultGitInterval
	g.Timeout = DefaultGitTimeout
	g.Push = true
	g.Author = Author{Name: DefaultAuthorName, Email: DefaultAuthorEmail}
}

func (v *GitVerify) applyDefaults() { v.Mode = VerifyHead }

func (d *DirSource) applyDefaults() {
	d.RescanInterval = DefaultRescanInterval
	d.Debounce = DefaultDebounce
}

func (d *DirectorySink) applyDefaults() { d.Mode = ModeApply }

func (k *KubernetesSink) applyDefaults() {
	k.Namespace = DefaultKubeNamespace
	k.FieldManager = DefaultFieldManager
	// The FGD is the truth: fields another manager took are taken back.
	k.ForceConflicts = true
	k.Mode = ModeApply
}

func (e *ExecSink) applyDefaults() {
	e.Timeout = DefaultExecTimeout
	e.Mode = ModeApply
}

// SyncLimit is the number of syncs that may run at once across all fabrics:
// max_concurrent_syncs, or 4 × the number of CPUs when that is 0.
func (c *Config) SyncLimit() int {
	if c.MaxConcurrentSyncs > 0 {
		return c.MaxConcurrentSyncs
	}
	return 4 * runtime.NumCPU()
}

// Fabric returns the fabric with the given name.
func (c *Config) Fabric(name string) (Fabric, bool) {
	for _, f := range c.Fabrics {
		if f.Name == name {
			return f, true
		}
	}
	return Fabric{}, false
}

// count is the number of sink kinds set on s; exactly one is valid.
func (s Sink) count() int {
	n := 0
	for _, set := range []bool{s.Directory != nil, s.Exec != nil, s.Kubernetes != nil} {
		if set {
			n++
		}
	}
	return n
}
