package directory

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
)

// FullPassInterval is how often reading the live tree reads and hashes
// every file even though its stamp says it is unchanged, and rebuilds the
// stat cache from what it finds: the same period as the managed cache of
// ingestion, for the same reasons (what stamps cannot see: times that do
// not move, a clock stepped back, a disk that rots, a hand edit that puts
// back the modification time within one tick of fgd's stat). On a
// 5,000-file tree the pass reads about 2 MB.
const FullPassInterval = 10 * time.Minute

// statCache remembers the hash of each file of the live tree under the
// stamp it was read with, so observing an unchanged tree reads no file and
// a one-file change reads that file: a file is read only when its stamp
// moved. A hard link fgd makes shares the inode it verified, so publish
// records the link's stamp and an unchanged file carried into a new tree
// is not read again. Files are keyed by their path in the tree, which the
// trees share. The Publisher's mutex guards it.
type statCache struct {
	files    map[string]cachedFile
	lastFull time.Time // when the last full pass began; zero: never
	now      func() time.Time
	stampOf  func(fs.FileInfo) fgd.Stamp // fgd.StampOf; a test sees times that do not move
	reads    atomic.Int64                // files of live trees and inventories read in full
	// ownUntil is when the last Apply that linked and removed trees
	// ended (ns): a linked file's change time up to then is fgd's.
	ownUntil int64
}

// cachedFile is a file's hash under the stamp it was read with, held as
// bytes rather than hex: there is one per published file for as long as
// the daemon runs.
type cachedFile struct {
	stamp fgd.Stamp
	sum   [sha256.Size]byte
	// linked is set for a file fgd hard-linked into a new tree: removing
	// an old tree that shares its inode moves its change time again, by
	// fgd's own hand, up to the end of that Apply (statCache.ownUntil).
	linked bool
}

func newStatCache() *statCache {
	return &statCache{files: map[string]cachedFile{}, now: time.Now, stampOf: fgd.StampOf}
}

// beginPass starts a read of the live tree: it reports whether this one is
// a full pass.
func (c *statCache) beginPass() (full bool) {
	now := c.now()
	if !c.lastFull.IsZero() && now.Sub(c.lastFull) < FullPassInterval {
		return false
	}
	c.lastFull = now
	return true
}

// lookup is the hash of the file at rel when its stamp is s. A file fgd
// linked may have a later change time than the link gave it, from fgd
// removing an old tree that shared it, up to the end of that Apply; the
// cache takes that time as the file's from then on.
func (c *statCache) lookup(rel string, s fgd.Stamp) (string, bool) {
	f, ok := c.files[rel]
	if !ok {
		return "", false
	}
	if f.stamp == s {
		return hex.EncodeToString(f.sum[:]), true
	}
	own := f.stamp
	own.CTime = s.CTime
	if !f.linked || own != s || s.CTime < f.stamp.CTime || s.CTime > c.ownUntil {
		return "", false
	}
	f.stamp, f.linked = s, false
	c.files[rel] = f
	return hex.EncodeToString(f.sum[:]), true
}

// put remembers rel as holding bytes hashing to hash under stamp s; a racy
// stamp is forgotten instead, so the file is read again next time.
func (c *statCache) put(rel string, s fgd.Stamp, hash string) {
	// rel may be a slice of a longer path (filepath.Rel's result is):
	// the cache keeps only its own bytes. A linked file's path is the
	// desired set's.
	c.store(strings.Clone(rel), cachedFile{stamp: s}, hash)
}

// putLinked is put for a file fgd just hard-linked into a new tree.
func (c *statCache) putLinked(rel string, s fgd.Stamp, hash string) {
	c.store(rel, cachedFile{stamp: s, linked: true}, hash)
}

func (c *statCache) store(rel string, f cachedFile, hash string) {
	if len(hash) != hex.EncodedLen(len(f.sum)) || f.stamp.Racy(c.now()) {
		delete(c.files, rel)
		return
	}
	if _, err := hex.Decode(f.sum[:], []byte(hash)); err != nil {
		delete(c.files, rel)
		return
	}
	c.files[rel] = f
}

// endApply marks the end of an Apply that may have linked files and
// removed trees.
func (c *statCache) endApply() { c.ownUntil = c.now().UnixNano() }

// retain forgets the files the live tree no longer holds.
func (c *statCache) retain(live map[string]string) {
	for rel := range c.files {
		if _, ok := live[rel]; !ok {
			delete(c.files, rel)
		}
	}
}
