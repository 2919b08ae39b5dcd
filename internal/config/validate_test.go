package config_test

import (
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

type wantErr struct {
	line int
	path string
	msg  []string // substrings the message must contain
}

// TestParseErrors feeds configurations to Parse and checks the exact list of
// problems: their count, order, lines, paths and messages. {{dir}} stands for
// a directory holding ok.token (0600), open.token (0644), known_hosts (0644)
// and a subdirectory adir.
func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ok.token", "s3cr3t\n", 0o600)
	writeFile(t, dir, "open.token", "s3cr3t\n", 0o644)
	writeFile(t, dir, "known_hosts", "git.example ssh-ed25519 AAAA\n", 0o644)
	writeFile(t, dir, "adir/.keep", "", 0o644)

	cases := []struct {
		name      string
		yaml      string
		want      []wantErr
		notInMsgs []string // must appear in no message (secrets)
	}{
		{name: "minimal valid", yaml: `
fabrics:
  - name: lab
    source:
      dir: {path: lab}
`},
		{name: "HTTP limits, allowed hosts and audit retention", yaml: `
api:
  max_connections: 8
  allowed_hosts: [fgd.example.com, "fgd.example.com:8443", "10.0.0.1", "[::1]:9477", "http://x", "a:0", "*"]
audit: {retention: 10m}
`, want: []wantErr{
			{2, "api.max_connections", []string{"must be at least 16, got 8"}},
			{3, "api.allowed_hosts[4]", []string{`"http://x" is not a host name`}},
			{3, "api.allowed_hosts[5]", []string{`port "0" of "a:0"`}},
			{3, "api.allowed_hosts[6]", []string{`"*" is not a host name`}},
			{4, "audit.retention", []string{"must be at least 1h0m0s, got 10m0s"}},
		}},
		{name: "event streams at most half the connections", yaml: `
api: {max_connections: 100, max_event_streams: 51}
`, want: []wantErr{{1, "api.max_event_streams", []string{"from 1 to half of api.max_connections (50), got 51"}}}},
		{name: "unknown key with did-you-mean", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/org/fabric.git
        intervall: 1m
`, want: []wantErr{{6, "fabrics[0].source.git", []string{`unknown key "intervall" in fabrics[0].source.git (did you mean "interval"?)`}}}},
		{name: "unknown key camelCase", yaml: `
stateDir: /x
`, want: []wantErr{{1, "", []string{`unknown key "stateDir" in the top level (did you mean "state_dir"?)`}}}},
		{name: "unknown key without a near match lists the known ones", yaml: `
listen: 127.0.0.1:9477
colour: blue
`, want: []wantErr{{2, "", []string{`unknown key "colour"`, "known keys: listen, state_dir"}}}},
		{name: "key of the wrong section suggests the right one", yaml: `
fabrics:
  - name: lab
    source:
      dir: {path: lab, interval: 1m}
`, want: []wantErr{{4, "fabrics[0].source.dir", []string{`did you mean "rescan_interval"?`}}}},
		{name: "wrong type: string for bool", yaml: `
fabrics:
  - name: dc1
    suspended: "yes"
    source:
      dir: {path: lab}
`, want: []wantErr{{3, "fabrics[0].suspended", []string{`expected true or false, got the string "yes"`}}}},
		{name: "wrong type: mapping for list", yaml: `
fabrics: {name: dc1}
`, want: []wantErr{{1, "fabrics", []string{"expected a list, got a mapping"}}}},
		{name: "wrong type: word for number", yaml: `
max_concurrent_syncs: many
`, want: []wantErr{{1, "max_concurrent_syncs", []string{`expected a whole number, got the string "many"`}}}},
		{name: "wrong type: string for command list", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - exec: {command: kubectl apply}
`, want: []wantErr{{5, "fabrics[0].sinks[0].exec.command", []string{"expected a list, got the string"}}}},
		{name: "wrong type: no cascade below a bad value", yaml: `
fabrics:
  - name: dc1
    source:
      git: https://git.example/o/r.git
`, want: []wantErr{{4, "fabrics[0].source.git", []string{"expected a mapping of keys, got a string of 27 characters"}}}},
		{name: "wrong type: top level is a list", yaml: `
- listen
`, want: []wantErr{{1, "", []string{"expected a mapping of keys, got a list"}}}},
		{name: "duplicate fabric", yaml: `
fabrics:
  - name: dc1
    source: {dir: {path: a}}
  - name: dc1
    source: {dir: {path: b}}
`, want: []wantErr{{4, "fabrics[1].name", []string{`fabric name "dc1" is already used by fabrics[0] (line 2)`}}}},
		{name: "two sources", yaml: `
fabrics:
  - name: dc1
    source:
      dir: {path: a}
      git: {url: https://git.example/o/r.git}
`, want: []wantErr{{3, "fabrics[0].source", []string{"exactly one of git or dir, this one has both"}}}},
		{name: "no source", yaml: `
fabrics:
  - name: dc1
`, want: []wantErr{{2, "fabrics[0].source", []string{"needs a source: git or dir"}}}},
		{name: "empty source", yaml: `
fabrics:
  - name: dc1
    source: {}
`, want: []wantErr{{3, "fabrics[0].source", []string{"needs a source"}}}},
		{name: "duration without unit", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, interval: 10}
`, want: []wantErr{{4, "fabrics[0].source.git.interval", []string{`duration "10" has no unit: write e.g. 10s or 10m`}}}},
		{name: "debounce without unit", yaml: `
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 250}
`, want: []wantErr{{4, "fabrics[0].source.dir.debounce", []string{`duration "250" has no unit: write e.g. 250ms`}}}},
		{name: "large number without unit", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, interval: 500}
`, want: []wantErr{{4, "fabrics[0].source.git.interval", []string{`write e.g. 500ms or 500s`}}}},
		{name: "duration that does not parse", yaml: `
fabrics:
  - name: lab
    source:
      dir:
        path: lab
        rescan_interval: fast
`, want: []wantErr{{6, "fabrics[0].source.dir.rescan_interval", []string{`invalid duration "fast"`}}}},
		{name: "interval below 1s", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        interval: 500ms
`, want: []wantErr{{6, "fabrics[0].source.git.interval", []string{"must be at least 1s, got 500ms"}}}},
		{name: "negative and zero durations", yaml: `
shutdown_timeout: -5s
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - exec: {command: [x], timeout: 0s}
`, want: []wantErr{
			{1, "shutdown_timeout", []string{"must be more than 0, got -5s"}},
			{6, "fabrics[0].sinks[0].exec.timeout", []string{"must be more than 0, got 0s"}},
		}},
		{name: "memory limit below the floor", yaml: `
memory_limit_mib: 16
`, want: []wantErr{{1, "memory_limit_mib", []string{"must be 0 (no limit) or from 64 to", "got 16"}}}},
		{name: "negative memory limit", yaml: `
memory_limit_mib: -1
`, want: []wantErr{{1, "memory_limit_mib", []string{"got -1"}}}},
		{name: "inline password refused", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        auth: {username: git, password: hunter2}
`, want: []wantErr{{6, "fabrics[0].source.git.auth", []string{`inline secret "password" is not allowed`, "use password_file"}}},
			notInMsgs: []string{"hunter2"}},
		{name: "inline api token refused", yaml: `
api:
  token: abc123xyz
`, want: []wantErr{{2, "api", []string{`inline secret "token"`, "use token_file"}}}, notInMsgs: []string{"abc123xyz"}},
		{name: "inline webhook secret refused", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, webhook_secret: shhh-value}
`, want: []wantErr{{4, "fabrics[0].source.git", []string{"use webhook_secret_file"}}}, notInMsgs: []string{"shhh-value"}},
		{name: "secret in exec env refused", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - exec:
          command: [kubectl, apply, -f, -]
          env:
            GITHUB_TOKEN: ghp_value
`, want: []wantErr{{8, "fabrics[0].sinks[0].exec.env.GITHUB_TOKEN", []string{"looks like a secret", "use env_files"}}},
			notInMsgs: []string{"ghp_value"}},
		{name: "password in the url refused and not echoed", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: "https://git:hunter2@git.example/o/r.git"}
`, want: []wantErr{{4, "fabrics[0].source.git.url", []string{"contains a password", "auth.password_file", "git.example"}}},
			notInMsgs: []string{"hunter2"}},
		{name: "world-readable secret file refused", yaml: `
api:
  token_file: {{dir}}/open.token
`, want: []wantErr{{2, "api.token_file", []string{"readable by every user (mode 0644)", "chmod 600 {{dir}}/open.token"}}},
			notInMsgs: []string{"s3cr3t"}},
		{name: "secret file with mode 0600 accepted", yaml: `
api:
  token_file: {{dir}}/ok.token
`},
		{name: "missing secret file", yaml: `
api:
  read_token_file: {{dir}}/nope.token
`, want: []wantErr{{2, "api.read_token_file", []string{"secret file {{dir}}/nope.token does not exist"}}}},
		{name: "secret file that is a directory", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, webhook_secret_file: adir}
`, want: []wantErr{{4, "fabrics[0].source.git.webhook_secret_file", []string{"{{dir}}/adir is not a regular file (it is a directory)"}}}},
		{name: "fabric names", yaml: `
fabrics:
  - name: DC_1
    source: {dir: {path: a}}
  - source: {dir: {path: b}}
`, want: []wantErr{
			{2, "fabrics[0].name", []string{`"DC_1" is not a DNS-1123 label`}},
			{4, "fabrics[1].name", []string{"needs a name"}},
		}},
		{name: "listen", yaml: `
listen: localhost
`, want: []wantErr{{1, "listen", []string{`"localhost" is not host:port`}}}},
		{name: "listen port", yaml: `
listen: 127.0.0.1:99999
`, want: []wantErr{{1, "listen", []string{`port "99999" is not a number from 0 to 65535`}}}},
		{name: "listen on all interfaces is fine", yaml: `
listen: ":9477"
`},
		{name: "unsupported url scheme", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: "ftp://git.example/o/r.git"}
`, want: []wantErr{{4, "fabrics[0].source.git.url", []string{`scheme "ftp" is not supported`}}}},
		{name: "url that is no url", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: just-a-word}
`, want: []wantErr{{4, "fabrics[0].source.git.url", []string{"is neither a URL"}}}},
		{name: "file url with a host", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: "file://relative/repo.git"}
`, want: []wantErr{{4, "fabrics[0].source.git.url", []string{"three slashes"}}}},
		{name: "file url accepted", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: "file:///srv/git/fabric.git"}
`},
		{name: "scp-like ssh url with key and known_hosts", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: git@git.example:org/fabric.git
        auth: {ssh_key_file: ok.token, known_hosts_file: known_hosts}
`},
		{name: "ipv6 addresses: read alike in every form, refused over ssh only", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: git@[::1]:org/fabric.git
        auth: {ssh_key_file: ok.token, known_hosts_file: known_hosts}
  - name: dc2
    source:
      git: {url: "http://[::1]:8080/org/fabric.git"}
`, want: []wantErr{{5, "fabrics[0].source.git.url", []string{"[::1]:org/fabric.git", "cannot reach an IPv6 address over ssh", "host name"}}}},
		{name: "ssh url without host key check", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: ssh://git@git.example/org/fabric.git
        auth: {ssh_key_file: ok.token}
`, want: []wantErr{{6, "fabrics[0].source.git.auth", []string{"needs known_hosts_file"}}}},
		{name: "ssh url without credentials", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: git@git.example:org/fabric.git
        auth: {insecure_skip_host_key_check: true}
`, want: []wantErr{{6, "fabrics[0].source.git.auth", []string{"needs ssh_key_file"}}}},
		{name: "ssh keys with an https url", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        auth: {ssh_key_file: ok.token}
`, want: []wantErr{{6, "fabrics[0].source.git.auth.ssh_key_file", []string{"only used with ssh URLs"}}}},
		{name: "password over plain http", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: http://git.example/o/r.git
        auth: {username: git, password_file: ok.token}
  - name: dc2
    source:
      git:
        url: http://127.0.0.1:8080/o/r.git
        auth: {username: git, password_file: ok.token}
`, want: []wantErr{{6, "fabrics[0].source.git.auth.password_file", []string{"clear text"}}}},
		{name: "password file without username", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        auth: {password_file: ok.token}
`, want: []wantErr{{6, "fabrics[0].source.git.auth.username", []string{"needs a username"}}}},
		{name: "branch given as a ref and a path leaving the repo", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        branch: refs/heads/main
        path: ../elsewhere
`, want: []wantErr{
			{6, "fabrics[0].source.git.branch", []string{"give the branch name"}},
			{7, "fabrics[0].source.git.path", []string{"leaves the repository"}},
		}},
		{name: "sink with both and sink with neither", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - directory: {path: out}
        exec: {command: [x]}
      - {}
`, want: []wantErr{
			{5, "fabrics[0].sinks[0]", []string{"exactly one of directory, exec or kubernetes, this one has 2"}},
			{7, "fabrics[0].sinks[1]", []string{"needs one of directory, exec or kubernetes"}},
		}},
		{name: "kubernetes sink with bad keys", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - kubernetes:
          namespace: Not_A_Namespace
          field_manager: ""
          mode: sometimes
`, want: []wantErr{
			{5, "fabrics[0].sinks[0].kubernetes.kubeconfig_file", []string{"is required"}},
			{6, "fabrics[0].sinks[0].kubernetes.namespace", []string{`"Not_A_Namespace" is not a namespace name`}},
			{7, "fabrics[0].sinks[0].kubernetes.field_manager", []string{"1-128 characters"}},
			{8, "fabrics[0].sinks[0].kubernetes.mode", []string{`"sometimes" is not one of apply, detect-only`}},
		}},
		{name: "kubernetes sink with a missing kubeconfig and an unknown key", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - kubernetes:
          kubeconfig_file: nowhere.kubeconfig
          contxt: dc1
`, want: []wantErr{
			{6, "fabrics[0].sinks[0].kubernetes.kubeconfig_file", []string{"does not exist"}},
			{7, "fabrics[0].sinks[0].kubernetes", []string{`unknown key "contxt"`, `did you mean "context"`}},
		}},
		{name: "sink publishing into an FGD", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks:
      - directory: {path: lab/published}
`, want: []wantErr{{5, "fabrics[0].sinks[0].directory.path", []string{`overlaps the FGD of fabric "lab"`}}}},
		{name: "sink publishing above an FGD", yaml: `
fabrics:
  - name: lab
    source: {dir: {path: srv/lab}}
    sinks: [{directory: {path: srv}}]
`, want: []wantErr{{4, "fabrics[0].sinks[0].directory.path", []string{`overlaps the FGD of fabric "lab"`, "would replace it"}}}},
		{name: "two fabrics on one FGD, two sinks on one directory", yaml: `
fabrics:
  - name: a
    source: {dir: {path: fgd}}
    sinks: [{directory: {path: out}}]
  - name: b
    source: {dir: {path: ./fgd/}}
    sinks: [{directory: {path: out}}]
`, want: []wantErr{
			{6, "fabrics[1].source.dir.path", []string{`already the source of fabric "a"`}},
			{7, "fabrics[1].sinks[0].directory.path", []string{`already published by fabric "a"`}},
		}},
		{name: "fabrics of one repository with different repository settings", yaml: `
fabrics:
  - name: a
    source: {git: {url: https://git.example/org/mono.git, path: dc1, interval: 1m}}
  - name: b
    source: {git: {url: https://git.example/org/mono.git, path: dc2, interval: 5m, timeout: 1m, author: {name: x}}}
  - name: c
    source: {git: {url: https://git.example/org/mono.git, branch: other, path: dc1, interval: 5m}}
  - name: d
    source: {git: {url: https://git.example/org/mono.git, path: dc3, interval: 1m}}
`, want: []wantErr{
			{5, "fabrics[1].source.git.interval", []string{`differs from fabrics[0] ("a"), which follows the same repository`, "give interval the same value in each"}},
			{5, "fabrics[1].source.git.timeout", []string{`differs from fabrics[0] ("a")`, "share its clone and poller"}},
			{5, "fabrics[1].source.git.author", []string{`differs from fabrics[0] ("a")`}},
		}},
		{name: "fabrics of one repository with the same or nested paths", yaml: `
fabrics:
  - name: a
    source: {git: {url: https://git.example/org/mono.git, path: fabrics/dc1}}
  - name: b
    source: {git: {url: https://git.example/org/mono.git, path: ./fabrics/dc1/}}
  - name: c
    source: {git: {url: https://git.example/org/mono.git, path: fabrics/dc1/sub}}
  - name: d
    source: {git: {url: https://git.example/org/mono.git, path: fabrics/dc10}}
  - name: e
    source: {git: {url: https://git.example/org/mono.git, branch: dev, path: fabrics/dc1}}
  - name: f
    source: {git: {url: https://git.example/org/mono.git, branch: dev, path: .}}
`, want: []wantErr{
			{5, "fabrics[1].source.git.path", []string{`FGD "fabrics/dc1"`, `overlaps FGD "fabrics/dc1" of fabrics[0] ("a")`, "one writer per FGD"}},
			{7, "fabrics[2].source.git.path", []string{`FGD "fabrics/dc1/sub"`, `overlaps FGD "fabrics/dc1" of fabrics[0] ("a")`}},
			{7, "fabrics[2].source.git.path", []string{`overlaps FGD "fabrics/dc1" of fabrics[1] ("b")`}},
			{13, "fabrics[5].source.git.path", []string{`FGD "."`, `overlaps FGD "fabrics/dc1" of fabrics[4] ("e")`}},
		}},
		{name: "an FGD inside another", yaml: `
fabrics:
  - name: outer
    source: {dir: {path: srv}}
  - name: inner
    source: {dir: {path: srv/x/inner}}
  - name: beside
    source: {dir: {path: srv2}}
`, want: []wantErr{{5, "fabrics[1].source.dir.path", []string{`/srv/x/inner lies inside the FGD of fabric "outer"`, "a directory of its own"}}}},
		{name: "duplicate key", yaml: `
listen: 127.0.0.1:1
listen: 127.0.0.1:2
`, want: []wantErr{{2, "", []string{`duplicate key "listen" (first set at line 1)`}}}},
		{name: "yaml syntax error", yaml: `
listen: 127.0.0.1:9477
fabrics:
  - name: a
    source: dir: x
`, want: []wantErr{{4, "", []string{"YAML syntax error: mapping values are not allowed"}}}},
		{name: "second document", yaml: `
listen: 127.0.0.1:9477
---
listen: 127.0.0.1:9478
`, want: []wantErr{{2, "", []string{"a second YAML document"}}}},
		{name: "empty file", yaml: `
# nothing here
`, want: []wantErr{{0, "", []string{"holds no configuration"}}}},
		{name: "tilde path", yaml: `
state_dir: ~/fgd
`, want: []wantErr{{1, "state_dir", []string{"~ is not expanded"}}}},
		{name: "log level and sink mode", yaml: `
log: {level: verbose, format: xml}
fabrics:
  - name: lab
    source: {dir: {path: lab}}
    sinks: [{directory: {path: out, mode: dry-run}}]
`, want: []wantErr{
			{1, "log.level", []string{`"verbose" is not one of debug, info, warn, error`}},
			{1, "log.format", []string{`"xml" is not one of auto, json, text`}},
			{5, "fabrics[0].sinks[0].directory.mode", []string{`"dry-run" is not one of apply, detect-only`}},
		}},
		{name: "aliases are followed", yaml: `
fabrics:
  - name: a
    source: {dir: {path: a}}
    sinks: &sinks
      - exec: {command: [kubectl, apply, -f, -]}
  - name: b
    source: {dir: {path: b}}
    sinks: *sinks
`},
		{name: "merge keys are refused", yaml: `
fabrics:
  - name: a
    source:
      dir: &d {path: a}
  - name: b
    source:
      dir:
        <<: *d
        path: b
`, want: []wantErr{{8, "fabrics[1].source.dir", []string{"merge keys (<<) are not supported"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(yamlText(tc.yaml), "{{dir}}", dir)
			cfg, err := config.Parse([]byte(text), "config.yaml", dir)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				if cfg == nil {
					t.Fatal("nil config without an error")
				}
				return
			}
			if cfg != nil {
				t.Errorf("want a nil config with the errors, got %+v", cfg)
			}
			got := fieldErrors(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("want %d errors, got %d:\n%v", len(tc.want), len(got), err)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.File != "config.yaml" || g.Line != w.line || g.Path != w.path {
					t.Errorf("error %d: want config.yaml:%d at %q, got %s:%d at %q (%s)", i, w.line, w.path, g.File, g.Line, g.Path, g.Message)
				}
				for _, m := range w.msg {
					m = strings.ReplaceAll(m, "{{dir}}", dir)
					if !strings.Contains(g.Message, m) {
						t.Errorf("error %d: message %q does not contain %q", i, g.Message, m)
					}
				}
			}
			for _, secret := range tc.notInMsgs {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("a secret value was printed: %v", err)
				}
			}
		})
	}
}

// TestParseReportsEveryError checks that one pass reports all problems of a
// file, in line order, each printed as file:line: path: message.
func TestParseReportsEveryError(t *testing.T) {
	text := yamlText(`
listen: nope
fabrics:
  - name: Bad_Name
    source:
      dir:
        path: a
        debounce: soon
    sinks:
      - directory: {path: p, mode: maybe}
      - {}
    colour: red
`)
	_, err := config.Parse([]byte(text), "config.yaml", t.TempDir())
	got := fieldErrors(t, err)
	want := []string{
		`config.yaml:1: listen: "nope" is not host:port`,
		`config.yaml:3: fabrics[0].name: fabric name "Bad_Name" is not a DNS-1123 label`,
		`config.yaml:7: fabrics[0].source.dir.debounce: invalid duration "soon"`,
		`config.yaml:9: fabrics[0].sinks[0].directory.mode: "maybe" is not one of apply, detect-only`,
		`config.yaml:10: fabrics[0].sinks[1]: a sink needs one of directory, exec or kubernetes`,
		`config.yaml:11: fabrics[0]: unknown key "colour" in fabrics[0]`,
	}
	if len(got) != len(want) {
		t.Fatalf("want %d errors, got %d:\n%v", len(want), len(got), err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Error() has %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || !strings.HasPrefix(got[i].Error(), w) {
			t.Errorf("line %d: want prefix %q, got %q", i, w, lines[i])
		}
	}
}

// TestParseHostileInputIsBounded feeds inputs whose aliases multiply a small
// file into millions of values or problems: Parse must stop at its budgets
// and say so, instead of using unbounded time and memory.
func TestParseHostileInputIsBounded(t *testing.T) {
	refs := func(name string, n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat("*"+name+",", n), ",") + "]"
	}
	cases := []struct{ name, yaml, want string }{
		{"a value bomb", "x-words: &w [" + strings.TrimSuffix(strings.Repeat("word,", 1000), ",") + "]\n" +
			"x-sink: &s {exec: {command: *w}}\n" +
			"x-fabric: &f {name: a, source: {dir: {path: x}}, sinks: " + refs("s", 100) + "}\n" +
			"fabrics: " + refs("f", 100) + "\n",
			"more than 100000 YAML nodes and keys"},
		{"a problem bomb", "x-fabric: &f {name: a, source: {dir: {path: x}}, sinks: [{directory: {path: x/y}}], colour: 1, size: 2}\n" +
			"fabrics: " + refs("f", 5000) + "\n",
			"more problems not shown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "config.yaml", "")
			errs := fieldErrors(t, err)
			if len(errs) > 101 {
				t.Fatalf("%d problems kept, want at most 101", len(errs))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want a problem containing %q, got:\n%v", tc.want, err)
			}
		})
	}
}
