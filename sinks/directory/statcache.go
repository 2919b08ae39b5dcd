package directory

import (
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
	reads    atomic.Int64 // files of live trees read in full
}

// cachedFile is a file's hash under the stamp it was read with.
type cachedFile struct {
	stamp fgd.Stamp
	hash  string
}

func newStatCache() *statCache {
	return &statCache{files: map[string]cachedFile{}, now: time.Now}
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

// lookup is the hash of the file at rel when its stamp is s.
func (c *statCache) lookup(rel string, s fgd.Stamp) (string, bool) {
	f, ok := c.files[rel]
	return f.hash, ok && f.stamp == s
}

// put remembers rel as holding bytes hashing to hash under stamp s; a racy
// stamp is forgotten instead, so the file is read again next time.
func (c *statCache) put(rel string, s fgd.Stamp, hash string) {
	if s.Racy(c.now()) {
		delete(c.files, rel)
		return
	}
	c.files[rel] = cachedFile{stamp: s, hash: hash}
}

// retain forgets the files the live tree no longer holds.
func (c *statCache) retain(live map[string]string) {
	for rel := range c.files {
		if _, ok := live[rel]; !ok {
			delete(c.files, rel)
		}
	}
}
