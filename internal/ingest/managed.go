package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	Path string // below the FGD, e.g. "managed/vpcs/vpc-1.yaml"
	Hash string // hex sha256 of Body
	Body []byte
}

// ReadManaged lists the resources of root's managed/ tree, sorted by path:
// the desired set handed to sinks. Nothing in it is trusted: each file is
// read under the read rule (fgd.ReadFile) and must be exactly one of the
// 12 Hedgehog kinds, valid, in its own kind folder under its normalized
// name; a file whose content cache does not already know as valid is
// parsed and validated again here. Ingestion moves the files that fail to
// unmanaged/ before this runs, so a failure here means managed/ changed
// in between: it is an error that names the file, because publishing a
// desired set with a hole in it would make sinks prune what they should
// keep. Symlinks, special files and dotfiles are never part of the set.
func ReadManaged(root string, reg *resource.Registry, cache *ManagedCache) ([]Managed, error) {
	if reg == nil {
		return nil, errors.New("ingest: no resource registry")
	}
	var out []Managed
	for _, k := range resource.Kinds() {
		dir := filepath.Join(root, fgd.ManagedDir, k.Dir)
		entries, err := listKindDir(root, path.Join(fgd.ManagedDir, k.Dir))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".yaml") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			m, err := readManagedFile(root, path.Join(fgd.ManagedDir, k.Dir, e.Name()), k, reg, cache)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// readManagedFile reads and checks one file of the desired set.
func readManagedFile(root, rel string, k resource.KindInfo, reg *resource.Registry, cache *ManagedCache) (Managed, error) {
	const fix = "a sync moves it to unmanaged/; fgd writes only valid resources there"
	// Stamped before it is read: see ManagedCache.putRead.
	fi, statErr := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	body, err := fgd.ReadFile(root, rel, fgd.MaxInputBytes)
	if err != nil {
		return Managed{}, fmt.Errorf("read %s: %w", rel, err)
	}
	sum := sha256.Sum256(body)
	id, ok := cache.bySum(rel, sum)
	if !ok {
		cache.count()
		e := examineBytes(rel, body, reg)
		if !judgeManaged(&e) {
			return Managed{}, fmt.Errorf("%s: not a valid managed resource: %s (%s)", rel, firstReason(e), fix)
		}
		id = e.docs[0].res.id
		if statErr == nil {
			cache.put(rel, validEntry{stamp: stampOf(fi), sum: sum, id: id})
		}
	}
	// Defence in depth: only the 12 kinds, each in its own folder.
	if got, known := resource.LookupKind(id.Group, id.Kind); !known || got.Dir != k.Dir {
		return Managed{}, fmt.Errorf("%s: %s/%s is not a %s (%s)", rel, id.Group, id.Kind, k.Kind, fix)
	}
	return Managed{ID: id, Path: rel, Hash: hex.EncodeToString(sum[:]), Body: body}, nil
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
