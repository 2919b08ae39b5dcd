package ingest

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// FullPassInterval is how often ReadManaged reads and hashes every managed
// file even though its stamp says it is unchanged, and repairs the cache
// from what it finds. A stamp holds size, modification time, change time
// and inode, and any write or rename moves the change time, which no user
// can set back; the full pass is for what stamps cannot see (a file system
// whose times do not move, a clock stepped back, a disk that rots). Ten
// minutes is twice the directory source's default rescan: on a 5,000-file
// tree the pass reads about 2 MB, so its cost stays far below a second per
// hour however often the fabric syncs.
const FullPassInterval = 10 * time.Minute

// ManagedCache remembers the managed files found valid, so a sync over an
// unchanged managed/ tree parses nothing and a sync that changes one file
// reads one file: a file is read and validated again only when its stamp
// (size, modification time, change time, inode) moved or, when its content
// is at hand, when its SHA-256 differs. It holds each resource once: the
// normalized bytes, with the identity and hash that refer to them, are the
// ones the desired set and the sinks get. Every FullPassInterval the next
// ReadManaged re-verifies every entry against the disk. The daemon keeps
// one per fabric; a nil cache reads and validates every file on every run.
// It is safe for concurrent use.
type ManagedCache struct {
	mu       sync.Mutex
	valid    map[string]*cacheEntry // managed path → the version found valid
	lastFull time.Time              // when the last full pass began; zero: never
	forced   bool                   // RequestFullPass was called
	now      func() time.Time
	parsed   atomic.Int64
	reads    atomic.Int64
}

// cacheEntry is one managed file found valid, held compactly: there is one
// per resource for as long as the daemon runs. Its strings and bytes are
// the ones the desired set and the sinks hold; the identity's group, kind
// and version are small numbers into resource's tables. body is nil until
// the content is at hand (checkManaged's examination, a write, ReadManaged).
type cacheEntry struct {
	stamp           fgd.Stamp
	kind, version   uint8
	namespace, name string
	key, path, hash string
	body            []byte
}

// newEntry is the entry of the valid resource id at rel, whose content is
// body (or nil) hashing to sum. The bytes are copied to their exact length:
// a read leaves spare capacity, and they are held as long as the resource
// is desired.
func newEntry(rel string, stamp fgd.Stamp, id resource.Identity, sum fgd.Sum, body []byte) *cacheEntry {
	k, _ := resource.KindIndex(id.Group, id.Kind)
	v := max(slices.Index(resource.Versions, id.Version), 0)
	if body != nil {
		body = bytes.Clone(body)
	}
	return &cacheEntry{stamp: stamp, kind: uint8(k), version: uint8(v), namespace: id.Namespace, name: id.Name,
		key: id.Key(), path: rel, hash: hex.EncodeToString(sum[:]), body: body}
}

// id is the entry's identity.
func (e *cacheEntry) id() resource.Identity {
	k := resource.KindAt(int(e.kind))
	return resource.Identity{Group: k.Group, Version: resource.Versions[e.version], Kind: k.Kind, Namespace: e.namespace, Name: e.name}
}

// managed is the entry as an element of the desired set.
func (e *cacheEntry) managed() Managed {
	return Managed{ID: e.id(), Key: e.key, Path: e.path, Hash: e.hash, Body: e.body}
}

// hasSum reports whether the entry's content hashes to sum.
func (e *cacheEntry) hasSum(sum fgd.Sum) bool {
	var mine fgd.Sum
	n, err := hex.Decode(mine[:], []byte(e.hash))
	return err == nil && n == len(mine) && mine == sum
}

// NewManagedCache returns an empty cache.
func NewManagedCache() *ManagedCache {
	return &ManagedCache{valid: map[string]*cacheEntry{}, now: time.Now}
}

// Parsed is how many managed files were parsed and validated through the
// cache so far: an unchanged tree adds none.
func (c *ManagedCache) Parsed() int64 {
	if c == nil {
		return 0
	}
	return c.parsed.Load()
}

// Reads is how many managed files were read in full through the cache so
// far: a sync that changes one file adds about one, a full pass all.
func (c *ManagedCache) Reads() int64 {
	if c == nil {
		return 0
	}
	return c.reads.Load()
}

// RequestFullPass makes the next ReadManaged a full pass (an operator's
// sync asks for one).
func (c *ManagedCache) RequestFullPass() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forced = true
}

// FullPassDue reports whether the next ReadManaged is a full pass; the
// reconciler then reads the desired set even when nothing else changed.
func (c *ManagedCache) FullPassDue() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dueLocked()
}

func (c *ManagedCache) dueLocked() bool {
	return c.forced || c.lastFull.IsZero() || c.now().Sub(c.lastFull) >= FullPassInterval
}

// beginPass starts a ReadManaged: it reports whether this one is a full
// pass. A nil cache always reads everything.
func (c *ManagedCache) beginPass() (full bool) {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dueLocked() {
		return false
	}
	c.forced, c.lastFull = false, c.now()
	return true
}

// byStamp is the entry of rel when its stamp is s.
func (c *ManagedCache) byStamp(rel string, s fgd.Stamp) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.valid[rel]
	return e, ok && e.stamp == s
}

// hasStamp reports whether rel is known valid with stamp s.
func (c *ManagedCache) hasStamp(rel string, s fgd.Stamp) bool {
	_, ok := c.byStamp(rel, s)
	return ok
}

// bySum is the entry of rel when its content hashes to sum.
func (c *ManagedCache) bySum(rel string, sum fgd.Sum) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.valid[rel]
	return e, ok && e.hasSum(sum)
}

// put remembers rel, with stamp, as the valid resource id whose content is
// body (nil when not at hand) hashing to sum, and returns what it holds.
func (c *ManagedCache) put(rel string, stamp fgd.Stamp, sum fgd.Sum, id resource.Identity, body []byte) Managed {
	if c == nil {
		return newEntry(rel, stamp, id, sum, body).managed()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.valid[rel]
	if !ok || !old.hasSum(sum) || old.id() != id {
		e := newEntry(rel, stamp, id, sum, body)
		c.valid[rel] = e
		return e.managed()
	}
	// The same version again: keep the strings and bytes held already.
	e := *old
	e.stamp = stamp
	if e.body == nil && body != nil {
		e.body = bytes.Clone(body)
	}
	c.valid[rel] = &e
	return e.managed()
}

// putRead remembers the file at rel as valid when it holds data (its
// content with sum), checking it on disk: its stamp is taken before it is
// read back, so a write at any moment after leaves the cache behind, never
// ahead.
func (c *ManagedCache) putRead(root, rel string, data []byte, sum fgd.Sum, id resource.Identity) {
	if c == nil {
		return
	}
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	back, err := fgd.ReadFile(root, rel, fgd.MaxInputBytes)
	c.count(1, 0)
	if err != nil || sumOf(back) != sum {
		return
	}
	c.put(rel, fgd.StampOf(fi), sum, id, data)
}

func (c *ManagedCache) forget(rel string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.valid, rel)
}

// retain forgets the files for which keep is false: they left managed/.
func (c *ManagedCache) retain(keep func(rel string) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for rel := range c.valid {
		if !keep(rel) {
			delete(c.valid, rel)
		}
	}
}

// size is how many files the cache knows: the desired set's likely size.
func (c *ManagedCache) size() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.valid)
}

// count adds files read in full and files parsed and validated.
func (c *ManagedCache) count(reads, parsed int64) {
	if c == nil {
		return
	}
	c.reads.Add(reads)
	c.parsed.Add(parsed)
}
