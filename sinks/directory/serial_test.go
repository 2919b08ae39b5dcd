package directory

import (
	"os"
	"path/filepath"
	"testing"
)

// readSerial must agree with the whole inventory's serial on the trees fgd
// publishes, find it wherever the key stands, and refuse what is not an
// inventory, so the garbage collection orders trees as before.
func TestReadSerial(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Keep: 5})
	for i, body := range []string{"1", "2", "3"} {
		res := apply(t, p, "r", map[string]string{"a.yaml": body, "b/c.yaml": body})
		got, err := readSerial(res.Published)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := readInventory(res.Published)
		if err != nil {
			t.Fatal(err)
		}
		if got != inv.Serial || got != uint64(i+1) {
			t.Errorf("publish %d: readSerial = %d, the inventory says %d", i+1, got, inv.Serial)
		}
	}

	dir := t.TempDir()
	write := func(content string) {
		t.Helper()
		os.Remove(filepath.Join(dir, inventoryFile))
		if err := os.WriteFile(filepath.Join(dir, inventoryFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"files": {"a.yaml": {"hash": "x", "key": "{\"serial\": 9}"}}, "version": 1, "serial": 7}`)
	if got, err := readSerial(dir); err != nil || got != 7 {
		t.Errorf("serial after the files: %d, %v; want 7", got, err)
	}
	for name, bad := range map[string]string{
		"no serial":     `{"version": 1, "files": {}}`,
		"not an object": `[1, 2]`,
		"cut short":     `{"version": 1, "files": {"a`,
		"bad serial":    `{"serial": "seven"}`,
	} {
		write(bad)
		if got, err := readSerial(dir); err == nil {
			t.Errorf("%s: readSerial = %d, want an error", name, got)
		}
	}
	os.Remove(filepath.Join(dir, inventoryFile))
	if err := os.Symlink(filepath.Join(root, currentLink, inventoryFile), filepath.Join(dir, inventoryFile)); err != nil {
		t.Fatal(err)
	}
	if got, err := readSerial(dir); err == nil {
		t.Errorf("through a symlink: readSerial = %d, want an error", got)
	}
}
