package config

import (
	"fmt"
	"maps"
	"net"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// validator checks a decoded Config and collects every problem, placing each
// at the line the decoder recorded for its field path.
type validator struct {
	*problems
	lines map[string]int
	bad   map[string]bool // from the decoder: already reported
}

func (v *validator) add(path, format string, args ...any) {
	if v.underBad(path) {
		return
	}
	v.problems.add(v.line(path), path, format, args...)
}

// underBad reports whether the value at path, or one holding it, could not
// be decoded: what is left there are defaults, and a problem with them would
// only repeat the one already reported.
func (v *validator) underBad(path string) bool {
	for {
		if v.bad[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return v.bad[""]
		}
		path = path[:i]
	}
}

// line finds the line of a field path, or of its nearest ancestor present in
// the file (a missing key is reported where its parent is).
func (v *validator) line(path string) int {
	for path != "" {
		if l, ok := v.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (v *validator) config(c *Config) {
	v.listen("listen", c.Listen)
	v.path("state_dir", c.StateDir, true)
	v.positive("shutdown_timeout", c.ShutdownTimeout, time.Nanosecond)
	if c.MaxConcurrentSyncs < 0 {
		v.add("max_concurrent_syncs", "must be 0 (4 × the number of CPUs) or more, got %d", c.MaxConcurrentSyncs)
	}
	if c.MemoryLimitMiB != 0 && (c.MemoryLimitMiB < MinMemoryLimitMiB || c.MemoryLimitMiB > MaxMemoryLimitMiB) {
		v.add("memory_limit_mib", "must be 0 (no limit) or from %d to %d, got %d", MinMemoryLimitMiB, MaxMemoryLimitMiB, c.MemoryLimitMiB)
	}
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "auto", "json", "text")
	v.secretFile("api.token_file", c.API.TokenFile)
	v.secretFile("api.read_token_file", c.API.ReadTokenFile)
	if c.API.TokenName == "" {
		v.add("api.token_name", "must not be empty (default %q)", DefaultTokenName)
	}
	if c.API.ReadTokenName == "" {
		v.add("api.read_token_name", "must not be empty (default %q)", DefaultReadTokenName)
	}
	v.apiLimits(c.API)
	for i, h := range c.API.AllowedHosts {
		v.allowedHost(fmt.Sprintf("api.allowed_hosts[%d]", i), h)
	}
	v.positive("audit.retention", c.Audit.Retention, time.Hour)

	names := map[string]int{}
	for i, f := range c.Fabrics {
		p := fmt.Sprintf("fabrics[%d]", i)
		v.fabric(p, f)
		if f.Name == "" {
			continue
		}
		if first, dup := names[f.Name]; dup {
			v.add(p+".name", "fabric name %q is already used by fabrics[%d] (line %d): names must be unique", f.Name, first, v.line(fmt.Sprintf("fabrics[%d].name", first)))
		} else {
			names[f.Name] = i
		}
	}
	v.overlaps(c)
	v.sharedRepos(c)
}

func (v *validator) fabric(p string, f Fabric) {
	switch {
	case f.Name == "":
		v.add(p+".name", "a fabric needs a name (a DNS-1123 label such as dc1)")
	case !isDNSLabel(f.Name):
		v.add(p+".name", "fabric name %q is not a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit", clip(f.Name))
	}
	switch {
	case f.Source.Git != nil && f.Source.Dir != nil:
		v.add(p+".source", "a source has exactly one of git or dir, this one has both")
	case f.Source.Git != nil:
		v.git(p+".source.git", f.Source.Git)
	case f.Source.Dir != nil:
		v.dir(p+".source.dir", f.Source.Dir)
	default:
		v.add(p+".source", "a fabric needs a source: git or dir")
	}
	for j, s := range f.Sinks {
		sp := fmt.Sprintf("%s.sinks[%d]", p, j)
		switch {
		case s.count() > 1:
			v.add(sp, "a sink has exactly one of directory, exec or kubernetes, this one has %d (make them separate list items)", s.count())
		case s.Directory != nil:
			v.path(sp+".directory.path", s.Directory.Path, true)
			v.mode(sp+".directory.mode", s.Directory.Mode)
		case s.Exec != nil:
			v.exec(sp+".exec", s.Exec)
		case s.Kubernetes != nil:
			v.kubernetes(sp+".kubernetes", s.Kubernetes)
		default:
			v.add(sp, "a sink needs one of directory, exec or kubernetes")
		}
	}
}

func (v *validator) git(p string, g *GitSource) {
	scheme, host := v.gitURL(p+".url", g.URL)
	v.branch(p+".branch", g.Branch)
	switch {
	case g.Path == "":
		v.add(p+".path", `must not be empty (use "." for the repository root)`)
	case strings.HasPrefix(g.Path, "/"):
		v.add(p+".path", "%q must be relative to the repository root", clip(g.Path))
	case g.Path == ".." || strings.HasPrefix(g.Path, "../"):
		v.add(p+".path", "%q leaves the repository", clip(g.Path))
	}
	v.positive(p+".interval", g.Interval, time.Second)
	v.positive(p+".timeout", g.Timeout, time.Nanosecond)
	v.secretFile(p+".webhook_secret_file", g.WebhookSecretFile)

	a, ap := g.Auth, p+".auth"
	v.secretFile(ap+".password_file", a.PasswordFile)
	v.secretFile(ap+".ssh_key_file", a.SSHKeyFile)
	if a.KnownHostsFile != "" && v.path(ap+".known_hosts_file", a.KnownHostsFile, true) {
		if msg := checkPlainFile(a.KnownHostsFile); msg != "" {
			v.add(ap+".known_hosts_file", "%s", msg)
		}
	}
	switch scheme {
	case "https", "http":
		sshOnly := []struct {
			key string
			set bool
		}{
			{"ssh_key_file", a.SSHKeyFile != ""},
			{"known_hosts_file", a.KnownHostsFile != ""},
			{"insecure_skip_host_key_check", a.InsecureSkipHostKeyCheck},
		}
		for _, o := range sshOnly {
			if o.set {
				v.add(ap+"."+o.key, "is only used with ssh URLs, and the url is %s", scheme)
			}
		}
		if scheme == "http" && a.PasswordFile != "" && !isLoopback(host) {
			v.add(ap+".password_file", "would be sent in clear text over http to %s: use https (http with a password is accepted only for localhost)", clip(host))
		}
		if a.PasswordFile != "" && a.Username == "" {
			v.add(ap+".username", "password_file needs a username (for a token, any name works, e.g. git)")
		}
	case "ssh":
		if a.SSHKeyFile == "" && a.PasswordFile == "" {
			v.add(ap, "an ssh URL needs ssh_key_file (or password_file): fgd has no ssh-agent")
		}
		switch {
		case a.KnownHostsFile != "" && a.InsecureSkipHostKeyCheck:
			v.add(ap+".insecure_skip_host_key_check", "set either known_hosts_file or insecure_skip_host_key_check, not both")
		case a.KnownHostsFile == "" && !a.InsecureSkipHostKeyCheck:
			v.add(ap, "an ssh URL needs known_hosts_file to check the server's host key (or insecure_skip_host_key_check: true, which trusts any server)")
		}
	case "file":
		if a != (GitAuth{}) {
			v.add(ap, "a file URL needs no auth: remove it")
		}
	}
	if g.Author.Name == "" || strings.ContainsAny(g.Author.Name, "<>\n") {
		v.add(p+".author.name", "must be a name without <, > or line breaks (default %q)", DefaultAuthorName)
	}
	if e := g.Author.Email; !strings.Contains(e, "@") || strings.ContainsAny(e, "<> \t\n") {
		v.add(p+".author.email", "%q is not an email address (default %q)", clip(e), DefaultAuthorEmail)
	}
	v.signing(p, g)
}

func (v *validator) dir(p string, d *DirSource) {
	v.path(p+".path", d.Path, true)
	v.positive(p+".rescan_interval", d.RescanInterval, time.Second)
	if d.Debounce < 0 {
		v.add(p+".debounce", "must not be negative, got %s", d.Debounce)
	}
}

func (v *validator) exec(p string, e *ExecSink) {
	if len(e.Command) == 0 || e.Command[0] == "" {
		v.add(p+".command", "needs a program and its arguments, e.g. [kubectl, apply, --server-side, -f, -]")
	}
	if e.PruneCommand != nil && (len(e.PruneCommand) == 0 || e.PruneCommand[0] == "") {
		v.add(p+".prune_command", "needs a program and its arguments, or leave it out")
	}
	for _, k := range slices.Sorted(maps.Keys(e.Env)) {
		switch {
		case !isEnvName(k):
			v.add(p+".env."+k, "%q is not an environment variable name", clip(k))
		case looksSecret(k):
			v.add(p+".env."+k, "%s looks like a secret: secrets are only read from files; use env_files: {%s: /path/to/file}", k, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.EnvFiles)) {
		f := e.EnvFiles[k]
		if !isEnvName(k) {
			v.add(p+".env_files."+k, "%q is not an environment variable name", clip(k))
		}
		if _, both := e.Env[k]; both {
			v.add(p+".env_files."+k, "%s is set in env too: keep one", k)
		}
		v.secretFile(p+".env_files."+k, f)
	}
	if e.Dir != "" {
		v.path(p+".dir", e.Dir, true)
	}
	v.positive(p+".timeout", e.Timeout, time.Nanosecond)
	v.mode(p+".mode", e.Mode)
}

func (v *validator) kubernetes(p string, k *KubernetesSink) {
	v.secretFile(p+".kubeconfig_file", k.KubeconfigFile)
	if k.KubeconfigFile == "" {
		v.add(p+".kubeconfig_file", "is required: the kubeconfig of the fabric's cluster (chmod 600)")
	}
	if !isDNSLabel(k.Namespace) {
		v.add(p+".namespace", "%q is not a namespace name: 1-63 lowercase letters, digits and '-' (default %q)", clip(k.Namespace), DefaultKubeNamespace)
	}
	if k.FieldManager == "" || len(k.FieldManager) > 128 || strings.ContainsAny(k.FieldManager, "\n\r\t") {
		v.add(p+".field_manager", "must be a name of 1-128 characters without line breaks (default %q)", DefaultFieldManager)
	}
	v.mode(p+".mode", k.Mode)
}

// overlaps reports FGDs and published directories that two writers share,
// and sinks publishing into an FGD or above one (fgd would ingest its own
// output). Lookups go through maps and up each path's parents, so the cost
// stays linear in the number of fabrics.
func (v *validator) overlaps(c *Config) {
	type owner struct{ path, fabric, field string }
	sources, sinks := map[string]owner{}, map[string]owner{}
	var sinkList, sourceList []owner
	for i, f := range c.Fabrics {
		if d := f.Source.Dir; d != nil && d.Path != "" {
			o := owner{d.Path, f.Name, fmt.Sprintf("fabrics[%d].source.dir.path", i)}
			if first, dup := sources[o.path]; dup {
				v.add(o.field, "FGD %s is already the source of fabric %q (%s): one writer per FGD", o.path, first.fabric, first.field)
			} else {
				sources[o.path] = o
				sourceList = append(sourceList, o)
			}
		}
		for j, s := range f.Sinks {
			if s.Directory == nil || s.Directory.Path == "" {
				continue
			}
			o := owner{s.Directory.Path, f.Name, fmt.Sprintf("fabrics[%d].sinks[%d].directory.path", i, j)}
			if first, dup := sinks[o.path]; dup {
				v.add(o.field, "directory %s is already published by fabric %q (%s)", o.path, first.fabric, first.field)
			} else {
				sinks[o.path] = o
				sinkList = append(sinkList, o)
			}
		}
	}
	for _, s := range sinkList {
		if src, ok := findUp(s.path, sources); ok {
			v.add(s.field, "%s overlaps the FGD of fabric %q (%s): fgd would ingest its own output", s.path, src.fabric, src.path)
		}
	}
	for _, src := range sourceList {
		if parent := filepath.Dir(src.path); parent != src.path {
			if s, ok := findUp(parent, sinks); ok {
				v.add(s.field, "%s overlaps the FGD of fabric %q (%s): publishing would replace it", s.path, src.fabric, src.path)
			}
			if outer, ok := findUp(parent, sources); ok {
				v.add(src.field, "FGD %s lies inside the FGD of fabric %q (%s): that fabric would ingest this one's files; give each fabric a directory of its own",
					src.path, outer.fabric, outer.path)
			}
		}
	}
}

// sharedRepos checks the fabrics that share a git repository (same url and
// branch): fgd keeps one clone and one poller for them, so the settings of
// the repository (interval, timeout, auth, author) must be the same in each,
// and their FGDs must not be the same or nested, or two fabrics would write
// one FGD.
func (v *validator) sharedRepos(c *Config) {
	type first struct {
		i   int
		src *GitSource
	}
	repos := map[string][]first{}
	for i, f := range c.Fabrics {
		g := f.Source.Git
		if g == nil || g.URL == "" {
			continue
		}
		key := g.URL + "\n" + g.Branch
		p := fmt.Sprintf("fabrics[%d].source.git", i)
		if prev := repos[key]; len(prev) > 0 {
			o := prev[0]
			of := fmt.Sprintf("fabrics[%d] (%q)", o.i, c.Fabrics[o.i].Name)
			for _, d := range o.src.RepoSettings().Diff(g.RepoSettings()) {
				v.add(p+"."+d, "differs from %s, which follows the same repository (%s, branch %s): fabrics of one repository share its clone and poller, "+
					"so give %s the same value in each", of, clip(g.URL), g.Branch, d)
			}
			for _, q := range prev {
				if nestedRepoPath(q.src.Path, g.Path) {
					v.add(p+".path", "FGD %q of %s overlaps FGD %q of fabrics[%d] (%q) in the same repository and branch: one writer per FGD; give each fabric a path of its own, neither inside the other",
						clip(g.Path), clip(g.URL), clip(q.src.Path), q.i, c.Fabrics[q.i].Name)
				}
			}
		}
		repos[key] = append(repos[key], first{i, g})
	}
}

// nestedRepoPath reports whether the repository paths a and b are the same
// or one lies inside the other ("." is the whole repository).
func nestedRepoPath(a, b string) bool {
	a, b = path.Clean(a), path.Clean(b)
	if a == "." || b == "." || a == b {
		return true
	}
	return strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// findUp looks p and then each of its parents up in m.
func findUp[T any](p string, m map[string]T) (T, bool) {
	for {
		if o, ok := m[p]; ok {
			return o, true
		}
		parent := filepath.Dir(p)
		if parent == p {
			var zero T
			return zero, false
		}
		p = parent
	}
}

// path checks a host path setting; it reports whether the path is usable.
func (v *validator) path(p, value string, required bool) bool {
	switch {
	case value == "":
		if required {
			v.add(p, "is required")
		}
		return false
	case strings.HasPrefix(value, "~"):
		v.add(p, "%q: ~ is not expanded; write the full path or one relative to the config file", clip(value))
		return false
	case strings.ContainsRune(value, 0):
		v.add(p, "contains a NUL byte")
		return false
	}
	return true
}

func (v *validator) secretFile(p, value string) {
	if value == "" || !v.path(p, value, false) {
		return
	}
	if msg := checkSecretFile(value); msg != "" {
		v.add(p, "%s", msg)
	}
}

func (v *validator) positive(p string, d, least time.Duration) {
	if d < least {
		if least > time.Nanosecond {
			v.add(p, "must be at least %s, got %s", least, d)
		} else {
			v.add(p, "must be more than 0, got %s", d)
		}
	}
}

func (v *validator) oneOf(p, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add(p, "%q is not one of %s", clip(value), strings.Join(allowed, ", "))
}

func (v *validator) mode(p string, m SinkMode) {
	v.oneOf(p, string(m), string(ModeApply), string(ModeDetectOnly))
}

func (v *validator) listen(p, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(p, "%q is not host:port (e.g. %s)", clip(addr), DefaultListen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add(p, "port %q is not a number from 0 to 65535", clip(port))
	}
	if host != "" && net.ParseIP(host) == nil && !isHostname(host) {
		v.add(p, "host %q is neither an IP address nor a host name", clip(host))
	}
}

// branch checks the rules of git check-ref-format that matter for a branch.
func (v *validator) branch(p, b string) {
	switch {
	case b == "":
		v.add(p, "must not be empty (default %q)", DefaultGitBranch)
	case strings.HasPrefix(b, "refs/"):
		v.add(p, "%q is a ref: give the branch name (main, not refs/heads/main)", clip(b))
	case strings.HasPrefix(b, "-") || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") ||
		strings.HasSuffix(b, ".") || strings.HasSuffix(b, ".lock") || b == "@" ||
		strings.Contains(b, "..") || strings.Contains(b, "@{") || strings.Contains(b, "//") ||
		strings.ContainsFunc(b, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) }):
		v.add(p, "%q is not a valid git branch name", clip(b))
	}
}

func isLoopback(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}

func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !alnum && (r != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !isDNSLabel(strings.ToLower(label)) {
			return false
		}
	}
	return true
}

func isEnvName(s string) bool {
	for i, r := range s {
		ok := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return s != ""
}
