package ingest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// Managed is one resource of an FGD's managed/ tree: the desired set.
type Managed struct {
	ID   resource.Identity
	Key  string // ID.Key()
	Path string // below the FGD, e.g. "managed/vpcs/vpc-1.yaml"
	Hash string // hex sha256 of Body
	Body []byte
}

// ReadManaged lists the resources of root's managed/ tree, sorted by path:
// the desired set handed to sinks. Nothing in it is trusted: each file must
// be exactly one of the 12 Hedgehog kinds, valid, in its own kind folder
// under its normalized name. A file the cache knows as valid with the same
// stamp is taken from the cache without being read; any other is read
// under the read rule (fgd.ReadFile) and, unless its content hash is the
// one the cache knows, parsed and validated again here. Every
// FullPassInterval (or after RequestFullPass) every file is read and hashed
// and the cache repaired from the disk. Ingestion moves the files that
// fail to unmanaged/ before this runs, so a failure here means managed/
// changed in between: it is an error that names the file, because
// publishing a desired set with a hole in it would make sinks prune what
// they should keep. Symlinks, special files and dotfiles are never part of
// the set.
func ReadManaged(root string, reg *resource.Registry, cache *ManagedCache) ([]Managed, error) {
	if reg == nil {
		return nil, errors.New("ingest: no resource registry")
	}
	full := cache.beginPass()
	out := make([]Managed, 0, cache.size())
	for _, k := range resource.Kinds() {
		dir := path.Join(fgd.ManagedDir, k.Dir)
		entries, err := listKindDir(root, dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(root, fgd.ManagedDir, k.Dir), err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".yaml") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			m, err := readManagedFile(root, path.Join(dir, e.Name()), e, k, reg, cache, full)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	cache.retain(func(rel string) bool {
		i := sort.Search(len(out), func(i int) bool { return out[i].Path >= rel })
		return i < len(out) && out[i].Path == rel
	})
	return out, nil
}

// readManagedFile reads and checks one file of the desired set; with full
// unset, a file whose stamp the cache knows is not read.
func readManagedFile(root, rel string, d fs.DirEntry, k resource.KindInfo, reg *resource.Registry, cache *ManagedCache, full bool) (Managed, error) {
	const fix = "a sync moves it to unmanaged/; fgd writes only valid resources there"
	// Stamped before it is read: see ManagedCache.putRead.
	fi, statErr := d.Info()
	var m Managed
	if e, ok := cachedByStamp(cache, rel, fi, statErr); ok && !full {
		m = e.managed()
	} else {
		body, err := fgd.ReadFile(root, rel, fgd.MaxInputBytes)
		if err != nil {
			return Managed{}, fmt.Errorf("read %s: %w", rel, err)
		}
		if m, err = checkManagedBody(rel, body, fi, statErr, reg, cache); err != nil {
			return Managed{}, fmt.Errorf("%s: %w (%s)", rel, err, fix)
		}
	}
	// Defence in depth: only the 12 kinds, each in its own folder.
	if got, known := resource.LookupKind(m.ID.Group, m.ID.Kind); !known || got.Dir != k.Dir {
		return Managed{}, fmt.Errorf("%s: %s/%s is not a %s (%s)", rel, m.ID.Group, m.ID.Kind, k.Kind, fix)
	}
	return m, nil
}

// cachedByStamp is the cache's entry for rel when it holds the bytes of the
// version with fi's stamp.
func cachedByStamp(cache *ManagedCache, rel string, fi fs.FileInfo, statErr error) (*cacheEntry, bool) {
	if statErr != nil {
		return nil, false
	}
	e, ok := cache.byStamp(rel, fgd.StampOf(fi))
	return e, ok && e.body != nil
}

// checkManagedBody validates body, just read from rel, unless the cache
// knows its hash, and remembers it.
func checkManagedBody(rel string, body []byte, fi fs.FileInfo, statErr error, reg *resource.Registry, cache *ManagedCache) (Managed, error) {
	sum := sha256.Sum256(body)
	var id resource.Identity
	if e, known := cache.bySum(rel, sum); known {
		cache.count(1, 0)
		id = e.id()
	} else {
		cache.count(1, 1)
		ex := examineBytes(rel, body, reg)
		if !judgeManaged(&ex) {
			cache.forget(rel)
			return Managed{}, fmt.Errorf("not a valid managed resource: %s", firstReason(ex))
		}
		id = ex.docs[0].res.id
	}
	if statErr != nil {
		return newEntry(rel, fgd.Stamp{}, id, sum, body).managed(), nil
	}
	return cache.put(rel, fgd.StampOf(fi), sum, id, body), nil
}

// examineBytes parses and validates the content of a managed file as
// examine does a raw file's.
func examineBytes(rel string, body []byte, reg *resource.Registry) examined {
	e := examined{c: candidate{rel: rel, kind: entryYAML, size: int64(len(body))}, data: body, sum: sha256.Sum256(body)}
	e.parse(reg, resource.DefaultLimits(), "")
	return e
}

// firstReason is the first reason examineBytes and judgeManaged found.
func firstReason(e examined) string {
	if e.fileIssue != nil {
		return e.fileIssue.Error()
	}
	for _, d := range e.docs {
		if len(d.issues) > 0 {
			return d.issues[0].Error()
		}
	}
	return "not a valid resource"
}

// managedIdentity reads apiVersion, kind and metadata of a managed file.
func managedIdentity(body []byte) (resource.Identity, error) {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
	if err := yaml.Unmarshal(body, &head); err != nil {
		return resource.Identity{}, fmt.Errorf("not a YAML resource: %w", err)
	}
	group, version, ok := strings.Cut(head.APIVersion, "/")
	if !ok || head.Kind == "" || head.Metadata.Name == "" {
		return resource.Identity{}, fmt.Errorf("no apiVersion, kind or metadata.name")
	}
	ns := head.Metadata.Namespace
	if ns == "" {
		ns = resource.DefaultNamespace
	}
	return resource.Identity{Group: group, Version: version, Kind: head.Kind, Namespace: ns, Name: head.Metadata.Name}, nil
}
