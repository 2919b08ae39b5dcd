package config_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
)

func mustParse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yamlText(text)), "config.yaml", "/base")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDiffFabrics(t *testing.T) {
	old := mustParse(t, `
fabrics:
  - name: keep
    source: {dir: {path: keep}}
    sinks: [{exec: {command: [a], env: {A: "1", B: "2"}}}]
  - name: change
    source: {git: {url: https://git.example/o/r.git}}
  - name: gone
    source: {dir: {path: gone}}
`)
	// keep is written differently (key order, explicit defaults) but means
	// the same; change differs in one nested default.
	new := mustParse(t, `
listen: 127.0.0.1:9999
fabrics:
  - name: added
    source: {dir: {path: added}}
  - name: change
    source: {git: {url: https://git.example/o/r.git, timeout: 31s}}
  - source: {dir: {debounce: 250ms, path: keep}}
    name: keep
    sinks: [{exec: {env: {B: "2", A: "1"}, command: [a], mode: apply}}]
`)
	got := config.DiffFabrics(old, new)
	want := config.FabricChanges{
		Added: []string{"added"}, Removed: []string{"gone"},
		Changed: []string{"change"}, Unchanged: []string{"keep"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := config.DiffFabrics(nil, new); !slices.Equal(got.Added, []string{"added", "change", "keep"}) || got.Removed != nil {
		t.Errorf("from nil: %+v", got)
	}
	if got := config.ChangedSettings(old, new); !slices.Equal(got, []string{"listen"}) {
		t.Errorf("ChangedSettings: %v", got)
	}
	if got := config.ChangedSettings(old, old); got != nil {
		t.Errorf("ChangedSettings of one config: %v", got)
	}
}

// TestFabricHashSeesEveryField changes each kind of field in turn; the hash
// must change every time.
func TestFabricHashSeesEveryField(t *testing.T) {
	base := func() config.Fabric {
		return mustParse(t, `
fabrics:
  - name: f
    source: {git: {url: https://git.example/o/r.git}}
    sinks: [{exec: {command: [a], env: {A: "1"}}}, {directory: {path: out}}]
`).Fabrics[0]
	}
	h0 := config.FabricHash(base())
	if h0 != config.FabricHash(base()) {
		t.Fatal("hash is not deterministic")
	}
	edits := map[string]func(f *config.Fabric){
		"name":        func(f *config.Fabric) { f.Name = "g" },
		"suspended":   func(f *config.Fabric) { f.Suspended = true },
		"git url":     func(f *config.Fabric) { f.Source.Git.URL += "x" },
		"git push":    func(f *config.Fabric) { f.Source.Git.Push = false },
		"auth file":   func(f *config.Fabric) { f.Source.Git.Auth.PasswordFile = "/p" },
		"author":      func(f *config.Fabric) { f.Source.Git.Author.Email = "a@b" },
		"env value":   func(f *config.Fabric) { f.Sinks[0].Exec.Env["A"] = "2" },
		"command":     func(f *config.Fabric) { f.Sinks[0].Exec.Command = []string{"b"} },
		"sink prune":  func(f *config.Fabric) { f.Sinks[1].Directory.Prune = true },
		"sink order":  func(f *config.Fabric) { f.Sinks[0], f.Sinks[1] = f.Sinks[1], f.Sinks[0] },
		"source kind": func(f *config.Fabric) { f.Source = config.Source{Dir: &config.DirSource{Path: "/x"}} },
	}
	for name, edit := range edits {
		f := base()
		edit(&f)
		if config.FabricHash(f) == h0 {
			t.Errorf("%s: hash did not change", name)
		}
	}
}

func TestChangedServing(t *testing.T) {
	old := mustParse(t, "fabrics: []\n")
	new := mustParse(t, "api: {max_connections: 2048, allowed_hosts: [fgd.example.com]}\naudit: {retention: 48h}\nfabrics: []\n")
	if got := config.ChangedServing(old, new); !slices.Equal(got, []string{"api.max_connections", "api.allowed_hosts"}) {
		t.Errorf("ChangedServing: %v", got)
	}
	if got := config.ChangedServing(old, old); got != nil {
		t.Errorf("ChangedServing of one config: %v", got)
	}
	if got := config.ChangedSettings(old, new); !slices.Equal(got, []string{"api", "audit"}) {
		t.Errorf("ChangedSettings: %v", got)
	}
}
