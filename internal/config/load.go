package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxConfigSize bounds the configuration file Load reads.
const maxConfigSize = 1 << 20

// Load reads, decodes and validates the configuration file at path. Relative
// paths inside it are resolved against the file's directory. A file that is
// not valid gives a *ValidationError listing every problem; a file that
// cannot be read gives an ordinary error.
func Load(file string) (*Config, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", file, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("read config %s: larger than %d KiB: is it the right file?", file, maxConfigSize>>10)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", file, err)
	}
	return Parse(data, file, filepath.Dir(abs))
}

// Parse decodes and validates a configuration held in memory. name is the
// file name used in messages; relative paths are resolved against baseDir
// (left relative when baseDir is ""). Errors are as for Load.
func Parse(data []byte, name, baseDir string) (*Config, error) {
	root, syntax := parseYAML(data, name)
	if syntax != nil {
		return nil, &ValidationError{Errors: []FieldError{*syntax}}
	}
	cfg := &Config{}
	cfg.applyDefaults()
	probs := &problems{file: name}
	d := &decoder{problems: probs, lines: map[string]int{}, bad: map[string]bool{}}
	d.decode(root, reflect.ValueOf(cfg).Elem(), "")
	cfg.File = name
	cfg.normalize(baseDir)

	v := &validator{problems: probs, lines: d.lines, bad: d.bad}
	v.config(cfg)
	if errs := probs.result(); len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	return cfg, nil
}

// parseYAML parses the single YAML document of a config file.
func parseYAML(data []byte, name string) (root *yaml.Node, problem *FieldError) {
	// yaml.v3 has panicked on hostile input before; a config parser must
	// not take the daemon (or a reload) down with it.
	defer func() {
		if r := recover(); r != nil {
			root, problem = nil, &FieldError{File: name, Message: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{File: name, Message: "the file holds no configuration (see config.example.yaml)"}
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FieldError{File: name, Line: extra.Line, Message: "a second YAML document: the config is one document (remove the ---)"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 ||
		doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null" {
		return nil, &FieldError{File: name, Message: "the file holds no configuration (see config.example.yaml)"}
	}
	return doc.Content[0], nil
}

// syntaxError turns "yaml: line 3: msg" into a FieldError at line 3.
func syntaxError(name string, err error) *FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, text
			}
		}
	}
	return &FieldError{File: name, Line: line, Message: "YAML syntax error: " + msg}
}

// normalize resolves relative paths against baseDir and cleans the paths
// that are compared later. A path starting with "~" is left alone for the
// validator to report: nothing expands it.
func (c *Config) normalize(baseDir string) {
	res := func(p *string) {
		if *p == "" || strings.HasPrefix(*p, "~") {
			return
		}
		if !filepath.IsAbs(*p) && baseDir != "" {
			*p = filepath.Join(baseDir, *p)
		}
		*p = filepath.Clean(*p)
	}
	res(&c.StateDir)
	res(&c.API.TokenFile)
	res(&c.API.ReadTokenFile)
	for i := range c.Fabrics {
		f := &c.Fabrics[i]
		if g := f.Source.Git; g != nil {
			res(&g.Auth.PasswordFile)
			res(&g.Auth.SSHKeyFile)
			res(&g.Auth.KnownHostsFile)
			res(&g.WebhookSecretFile)
			res(&g.Author.SigningKeyFile)
			if v := g.Verify; v != nil {
				res(&v.OpenPGPKeyringFile)
				res(&v.SSHAllowedSignersFile)
			}
			if g.Path != "" {
				// A path inside the repository, not on this host.
				g.Path = path.Clean(g.Path)
			}
		}
		if d := f.Source.Dir; d != nil {
			res(&d.Path)
		}
		for _, s := range f.Sinks {
			if s.Directory != nil {
				res(&s.Directory.Path)
			}
			if k := s.Kubernetes; k != nil {
				res(&k.KubeconfigFile)
			}
			if e := s.Exec; e != nil {
				res(&e.Dir)
				for k, p := range e.EnvFiles {
					res(&p)
					e.EnvFiles[k] = p
				}
			}
		}
	}
}
