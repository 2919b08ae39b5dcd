package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/config"
)

// examplePath is the documented example at the repository root, which is
// also the configuration of `make run`.
const examplePath = "../../config.example.yaml"

func readExample(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// uncommentExamples removes the leading "# " from every line between a
// "# >>> example" line and the next "# <<<" line, and returns the text and
// the number of blocks. A block line that is not "#" or "# ..." fails the
// test: the blocks must stay mechanically un-commentable.
func uncommentExamples(t testing.TB, text string) (string, int) {
	t.Helper()
	lines := strings.Split(text, "\n")
	blocks, in := 0, false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "# >>> example"):
			if in {
				t.Fatalf("config.example.yaml:%d: nested example block", i+1)
			}
			in = true
			blocks++
		case strings.HasPrefix(l, "# <<<"):
			if !in {
				t.Fatalf("config.example.yaml:%d: end of an example block that did not begin", i+1)
			}
			in = false
		case in && l == "#":
			lines[i] = ""
		case in && strings.HasPrefix(l, "# "):
			lines[i] = strings.TrimPrefix(l, "# ")
		case in:
			t.Fatalf("config.example.yaml:%d: line in an example block does not start with \"# \": %q", i+1, l)
		}
	}
	if in {
		t.Fatal("config.example.yaml: example block not closed")
	}
	return strings.Join(lines, "\n"), blocks
}

// TestExampleConfig loads config.example.yaml as `make run` does, from a
// copy beside the files it references, and checks the demo fabric.
func TestExampleConfig(t *testing.T) {
	dir := t.TempDir()
	conf := writeFile(t, dir, "config.yaml", readExample(t), 0o644)

	// Without the API token file, the example is not valid.
	_, err := config.Load(conf)
	if errs := fieldErrors(t, err); len(errs) != 1 || errs[0].Path != "api.token_file" {
		t.Fatalf("without .run/api-token: want one api.token_file error, got %v", err)
	}

	writeFile(t, dir, ".run/api-token", "demo-token\n", 0o600)
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, ".run")
	if cfg.Listen != "127.0.0.1:9477" || cfg.StateDir != filepath.Join(run, "state") ||
		cfg.API.TokenFile != filepath.Join(run, "api-token") || cfg.API.ReadTokenFile != "" {
		t.Errorf("globals: %+v", cfg)
	}
	if len(cfg.Fabrics) != 1 {
		t.Fatalf("want one active fabric, got %d", len(cfg.Fabrics))
	}
	demo := cfg.Fabrics[0]
	if demo.Name != "demo" || demo.Suspended || demo.Source.Git != nil || demo.Source.Dir == nil {
		t.Fatalf("demo fabric: %+v", demo)
	}
	if want := (config.DirSource{Path: filepath.Join(run, "demo-fabric"), RescanInterval: 5 * time.Minute, Debounce: 250 * time.Millisecond}); *demo.Source.Dir != want {
		t.Errorf("demo source: got %+v, want %+v", *demo.Source.Dir, want)
	}
	if len(demo.Sinks) != 1 || demo.Sinks[0].Directory == nil {
		t.Fatalf("demo sinks: %+v", demo.Sinks)
	}
	if want := (config.DirectorySink{Path: filepath.Join(run, "published"), Prune: true, Mode: config.ModeApply}); *demo.Sinks[0].Directory != want {
		t.Errorf("demo sink: got %+v, want %+v", *demo.Sinks[0].Directory, want)
	}
}

// TestExampleCommentedBlocksParse un-comments the documented examples of
// config.example.yaml and loads the result, with temporary secret files in
// place of /etc/fgd, so that the commented documentation cannot rot.
func TestExampleCommentedBlocksParse(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc", "fgd")
	text, blocks := uncommentExamples(t, readExample(t))
	if blocks != 2 {
		t.Fatalf("want 2 example blocks (read token, git fabrics), found %d", blocks)
	}
	text = strings.ReplaceAll(text, "/etc/fgd/", etc+"/")
	conf := writeFile(t, dir, "config.yaml", text, 0o644)
	for _, s := range []string{".run/api-token", ".run/read-token"} {
		writeFile(t, dir, s, "tok\n", 0o600)
	}
	for _, s := range []string{"dc1.token", "dc1.hook", "dc1.api-token", "dc2.key", "fgd-signing.key", "dc1.kubeconfig"} {
		writeFile(t, etc, s, "secret\n", 0o600)
	}
	writeFile(t, etc, "known_hosts", "git.example ssh-ed25519 AAAA\n", 0o644)
	writeFile(t, etc, "trusted.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n", 0o644)
	writeFile(t, etc, "allowed_signers", "fgd@example.org ssh-ed25519 AAAA\n", 0o644)

	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatalf("un-commented example does not load:\n%v", err)
	}
	if cfg.API.ReadTokenFile != filepath.Join(dir, ".run", "read-token") {
		t.Errorf("read_token_file: %q", cfg.API.ReadTokenFile)
	}
	var names []string
	for _, f := range cfg.Fabrics {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"demo", "dc1", "dc2"}) {
		t.Fatalf("fabrics: %v", names)
	}

	dc1 := cfg.Fabrics[1]
	wantGit := config.GitSource{
		URL: "https://git.example/org/fabric.git", Branch: "main", Path: "gitops/dc1",
		Interval: time.Minute, Timeout: 30 * time.Second,
		Auth:              config.GitAuth{Username: "git", PasswordFile: filepath.Join(etc, "dc1.token")},
		WebhookSecretFile: filepath.Join(etc, "dc1.hook"), Push: true,
		Author: config.Author{Name: "fgd", Email: "fgd@example.invalid"},
	}
	if !reflect.DeepEqual(*dc1.Source.Git, wantGit) {
		t.Errorf("dc1 git:\n got %+v\nwant %+v", *dc1.Source.Git, wantGit)
	}
	if len(dc1.Sinks) != 3 || dc1.Sinks[0].Kind() != "directory" || dc1.Sinks[1].Kind() != "exec" || dc1.Sinks[2].Kind() != "kubernetes" {
		t.Fatalf("dc1 sinks: %+v", dc1.Sinks)
	}
	wantExec := config.ExecSink{
		Command:      []string{"kubectl", "apply", "--server-side", "-f", "-"},
		PruneCommand: []string{"kubectl", "delete", "--ignore-not-found", "-f", "-"},
		Env:          map[string]string{"KUBECONFIG": filepath.Join(etc, "dc1.kubeconfig")},
		EnvFiles:     map[string]string{"FABRIC_API_TOKEN": filepath.Join(etc, "dc1.api-token")},
		Dir:          "/var/lib/fgd", Timeout: 60 * time.Second, Mode: config.ModeApply,
	}
	if !reflect.DeepEqual(*dc1.Sinks[1].Exec, wantExec) {
		t.Errorf("dc1 exec:\n got %+v\nwant %+v", *dc1.Sinks[1].Exec, wantExec)
	}

	wantKube := config.KubernetesSink{KubeconfigFile: filepath.Join(etc, "dc1.kubeconfig"), Namespace: "default",
		FieldManager: "fgd", ForceConflicts: true, Prune: true, Mode: config.ModeApply}
	if *dc1.Sinks[2].Kubernetes != wantKube {
		t.Errorf("dc1 kubernetes:\n got %+v\nwant %+v", *dc1.Sinks[2].Kubernetes, wantKube)
	}

	dc2 := cfg.Fabrics[2]
	wantAuth := config.GitAuth{SSHKeyFile: filepath.Join(etc, "dc2.key"), KnownHostsFile: filepath.Join(etc, "known_hosts")}
	if g := dc2.Source.Git; g == nil || g.URL != "git@git.example:org/fabric.git" || g.Auth != wantAuth || g.Push {
		t.Errorf("dc2 git: %+v", g)
	}
	wantVerify := config.GitVerify{Mode: config.VerifyAll, OpenPGPKeyringFile: filepath.Join(etc, "trusted.asc"),
		SSHAllowedSignersFile: filepath.Join(etc, "allowed_signers")}
	if g := dc2.Source.Git; g == nil || g.Verify == nil || *g.Verify != wantVerify || g.Author.SigningKeyFile != filepath.Join(etc, "fgd-signing.key") {
		t.Errorf("dc2 verify and signing key: %+v", g)
	}
	if len(dc2.Sinks) != 1 || dc2.Sinks[0].Directory == nil || dc2.Sinks[0].Directory.Mode != config.ModeDetectOnly {
		t.Errorf("dc2 sinks: %+v", dc2.Sinks)
	}
}

// TestExampleDocumentsEveryKey checks that every key of the configuration
// appears in config.example.yaml (active or in an example block) with a
// comment above or beside it at least once.
func TestExampleDocumentsEveryKey(t *testing.T) {
	text, _ := uncommentExamples(t, readExample(t))
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	collectDocumented(root.Content[0], "", false, documented)
	var missing []string
	for _, key := range schemaKeys(reflect.TypeFor[config.Config](), "") {
		if !documented[key] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		t.Errorf("keys missing from config.example.yaml or without a comment: %s", strings.Join(missing, ", "))
	}
}

// collectDocumented records each key path (list indexes left out) and
// whether one of its occurrences has a comment. yaml.v3 attaches the comment
// above "- key:" to the list item's mapping, so that one counts for the
// item's first key.
func collectDocumented(n *yaml.Node, prefix string, listItem bool, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			out[p] = out[p] || k.HeadComment != "" || k.LineComment != "" || v.LineComment != "" ||
				(i == 0 && listItem && n.HeadComment != "")
			collectDocumented(v, p, false, out)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			collectDocumented(item, prefix, true, out)
		}
	}
}

// schemaKeys lists the key paths of the config structs, from their yaml tags.
func schemaKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		keys = append(keys, p)
		keys = append(keys, schemaKeys(t.Field(i).Type, p)...)
	}
	return keys
}
