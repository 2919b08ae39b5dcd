package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

// TestParseVerifyAndSigningKey checks the commit-signature keys of a git
// source: each problem is reported at its line, and a valid block loads
// with its defaults.
func TestParseVerifyAndSigningKey(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "fgd.key", "key\n", 0o600)
	writeFile(t, dir, "open.key", "key\n", 0o644)
	writeFile(t, dir, "trusted.asc", "keys\n", 0o644)
	writeFile(t, dir, "allowed_signers", "keys\n", 0o644)
	cases := []struct {
		name string
		yaml string
		want []wantErr
	}{
		{name: "valid, mode defaults to head", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        verify: {openpgp_keyring_file: trusted.asc}
        author: {signing_key_file: fgd.key}
`},
		{name: "missing signing key file", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        verify: {ssh_allowed_signers_file: allowed_signers}
        author:
          signing_key_file: nope.key
`, want: []wantErr{{8, "fabrics[0].source.git.author.signing_key_file", []string{"secret file {{dir}}/nope.key does not exist"}}}},
		{name: "world-readable signing key refused", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        author: {name: fgd, signing_key_file: open.key}
`, want: []wantErr{{6, "fabrics[0].source.git.author.signing_key_file", []string{"readable by every user (mode 0644)", "chmod 600 {{dir}}/open.key"}}}},
		{name: "missing trust file, bad mode", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        push: false
        verify:
          mode: some
          openpgp_keyring_file: missing.asc
`, want: []wantErr{
			{8, "fabrics[0].source.git.verify.mode", []string{`"some" is not one of head, all`}},
			{9, "fabrics[0].source.git.verify.openpgp_keyring_file", []string{"file {{dir}}/missing.asc does not exist"}},
		}},
		{name: "verify without trusted keys", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        push: false
        verify: {mode: all}
`, want: []wantErr{{7, "fabrics[0].source.git.verify", []string{"needs the trusted keys"}}}},
		{name: "verify and push need a signing key", yaml: `
fabrics:
  - name: dc1
    source:
      git:
        url: https://git.example/o/r.git
        verify: {openpgp_keyring_file: trusted.asc}
        author: {name: fgd}
`, want: []wantErr{{7, "fabrics[0].source.git.author.signing_key_file", []string{"required with verify and push", "push: false"}}}},
		{name: "fabrics of one repository must agree on verify", yaml: `
fabrics:
  - name: dc1
    source:
      git: {url: https://git.example/o/r.git, path: a, push: false, verify: {openpgp_keyring_file: trusted.asc}}
  - name: dc2
    source:
      git: {url: https://git.example/o/r.git, path: b, push: false}
`, want: []wantErr{{7, "fabrics[1].source.git.verify", []string{"give verify the same value in each"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(yamlText(tc.yaml)), "config.yaml", dir)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				g := cfg.Fabrics[0].Source.Git
				want := config.GitVerify{Mode: config.VerifyHead, OpenPGPKeyringFile: filepath.Join(dir, "trusted.asc")}
				if g.Verify == nil || *g.Verify != want || g.Author.SigningKeyFile != filepath.Join(dir, "fgd.key") || g.Author.Name != "fgd" {
					t.Errorf("verify %+v, author %+v", g.Verify, g.Author)
				}
				return
			}
			got := fieldErrors(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("want %d errors, got %d:\n%v", len(tc.want), len(got), err)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Line != w.line || g.Path != w.path {
					t.Errorf("error %d: want line %d at %q, got line %d at %q (%s)", i, w.line, w.path, g.Line, g.Path, g.Message)
				}
				for _, m := range w.msg {
					if m = strings.ReplaceAll(m, "{{dir}}", dir); !strings.Contains(g.Message, m) {
						t.Errorf("error %d: message %q does not contain %q", i, g.Message, m)
					}
				}
			}
		})
	}
}
