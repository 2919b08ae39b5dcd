package state

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/fgd"
)

// TestInventorySavedAndLoaded: what a sink holds survives a restart, byte
// for byte, through the state dir.
func TestInventorySavedAndLoaded(t *testing.T) {
	dir := t.TempDir()
	a, b := res("VPC", "a", "a: 1\n"), res("VPC", "b", "b: 2\n")
	s := newStore(t)
	if err := s.ApplyInventory("lab", "exec-0", []InventoryItem{item(a), item(b)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveInventory(dir, "lab", "exec-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "inventory", "lab", "exec-0.json")); err != nil {
		t.Fatalf("the inventory file: %v", err)
	}

	restarted := newStore(t)
	ok, err := restarted.LoadInventory(dir, "lab", "exec-0")
	if err != nil || !ok {
		t.Fatalf("LoadInventory = %v, %v; want loaded", ok, err)
	}
	got, err := restarted.Inventory(nil, "lab", "exec-0")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Inventory(nil, "lab", "exec-0")
	if len(got) != len(want) {
		t.Fatalf("loaded %d items, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Hash != w.Hash || !g.AppliedAt.Equal(w.AppliedAt) || string(g.Body) != string(w.Body) ||
			g.Fabric != "lab" || g.Sink != "exec-0" {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestLoadInventoryNothingSaved(t *testing.T) {
	s := newStore(t)
	if ok, err := s.LoadInventory(t.TempDir(), "lab", "exec-0"); ok || err != nil {
		t.Errorf("LoadInventory with nothing saved = %v, %v; want false, nil", ok, err)
	}
}

// TestLoadInventoryRefusesBadFiles: a corrupt, symlinked or duplicate-keyed
// file is an error naming the file, and the store's inventory is left as
// it was (a full re-apply, never a wrong prune).
func TestLoadInventoryRefusesBadFiles(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"corrupt": func(t *testing.T, path string) { writeFile(t, path, `[{"key": "half`) },
		"symlink": func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			writeFile(t, target, `[]`)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		},
		"duplicate": func(t *testing.T, path string) {
			writeFile(t, path, `[{"key":"k","hash":"h"},{"key":"k","hash":"h"}]`)
		},
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "inventory", "lab", "exec-0.json")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			plant(t, path)
			s := newStore(t)
			a := res("VPC", "a", "a")
			if err := s.ApplyInventory("lab", "exec-0", []InventoryItem{item(a)}, nil); err != nil {
				t.Fatal(err)
			}
			ok, err := s.LoadInventory(dir, "lab", "exec-0")
			if ok || err == nil || !strings.Contains(err.Error(), "exec-0.json") {
				t.Errorf("LoadInventory = %v, %v; want an error naming the file", ok, err)
			}
			if got, _ := s.Inventory(nil, "lab", "exec-0"); len(got) != 1 || got[0].Key != a.Key {
				t.Errorf("a refused file changed the inventory to %v", keys(got))
			}
		})
	}
}

func TestRemoveInventoryTemps(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory", "lab")
	if err := os.MkdirAll(inv, 0o755); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(inv, fgd.TempPrefix+"crashed")
	kept := filepath.Join(inv, "exec-0.json")
	writeFile(t, temp, "half")
	writeFile(t, kept, "[]")
	removed, err := RemoveInventoryTemps(dir, "lab")
	if err != nil || !slices.Equal(removed, []string{temp}) {
		t.Errorf("RemoveInventoryTemps = %v, %v; want [%s]", removed, err, temp)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the saved inventory was removed: %v", err)
	}
	if removed, err := RemoveInventoryTemps(dir, "no-such-fabric"); len(removed) != 0 || err != nil {
		t.Errorf("for a fabric with no inventory: %v, %v", removed, err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
