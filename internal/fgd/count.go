package fgd

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/fgdproject/fgd/internal/resource"
)

// CountManaged counts the resource files in each kind folder of root's
// managed/ tree, by kind; a kind whose folder cannot be listed counts 0.
// It lists the folders only: the files are neither opened nor followed.
func CountManaged(root string) map[string]int {
	out := map[string]int{}
	for _, k := range resource.Kinds() {
		entries, err := os.ReadDir(filepath.Join(root, ManagedDir, k.Dir))
		n := 0
		if err == nil {
			for _, e := range entries {
				if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".yaml") {
					n++
				}
			}
		}
		out[k.Kind] = n
	}
	return out
}
