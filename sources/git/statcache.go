package git

import (
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// stampFile is written in the clone's .git after each round of recorded
// hashes: its modification time is the file system's clock, which the
// racy check compares file times with.
const stampFile = "fgd-stat-stamp"

// statKey is what a file's Lstat must still show for its recorded hash to
// hold, as git's index keeps it.
type statKey struct {
	size         int64
	mtime, ctime int64 // nanoseconds, truncated to the granularity
	ino          uint64
	mode         os.FileMode
}

type statEntry struct {
	key  statKey
	hash plumbing.Hash
}

// statCache maps the working tree's files (by absolute path) to their blob
// hashes while their stat is unchanged, so a commit and a checkout read only
// the files that changed. It lives in memory, per clone: it needs no file
// format, nothing on disk can make it lie, and a restart costs one full
// read of the working tree (the first checkout's), as before it existed.
//
// A file written in the same tick of the file system's clock as its entry
// was recorded could change again without its stat changing (the racy
// case, as in git): such entries are dropped when the round ends (stamp),
// so the file is read again next time. Callers hold r.mu.
type statCache struct {
	entries map[string]statEntry
	fresh   []string      // recorded since the last stamp
	gran    time.Duration // time granularity; 0: nanoseconds
	hashed  int64         // files read and hashed: a test counter
	written int64         // files written by checkouts: a test counter
}

func newStatCache() *statCache { return &statCache{entries: map[string]statEntry{}} }

func (c *statCache) keyOf(fi os.FileInfo) statKey {
	k := statKey{size: fi.Size(), mode: fi.Mode()}
	mtime, ctime, ino := sysStat(fi)
	k.mtime, k.ctime, k.ino = c.trunc(mtime), c.trunc(ctime), ino
	return k
}

func (c *statCache) trunc(t time.Time) int64 {
	if c.gran > 0 {
		return t.Truncate(c.gran).UnixNano()
	}
	return t.UnixNano()
}

// Lookup returns the hash recorded for p while fi still matches.
func (c *statCache) Lookup(p string, fi os.FileInfo) (plumbing.Hash, bool) {
	e, ok := c.entries[p]
	if !ok || e.key != c.keyOf(fi) {
		return plumbing.ZeroHash, false
	}
	return e.hash, true
}

// Record notes the hash of p, which was read and hashed.
func (c *statCache) Record(p string, fi os.FileInfo, h plumbing.Hash) {
	c.hashed++
	c.put(p, fi, h)
}

// wrote notes the hash of p, which a checkout wrote.
func (c *statCache) wrote(p string, h plumbing.Hash) {
	c.written++
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		delete(c.entries, p)
		return
	}
	c.put(p, fi, h)
}

func (c *statCache) put(p string, fi os.FileInfo, h plumbing.Hash) {
	c.entries[p] = statEntry{key: c.keyOf(fi), hash: h}
	c.fresh = append(c.fresh, p)
}

func (c *statCache) forget(p string) { delete(c.entries, p) }

// reset forgets everything: a clone replaced or discarded.
func (c *statCache) reset() {
	c.entries = map[string]statEntry{}
	c.fresh = nil
}

// stamp ends a round: it reads the file system's clock by writing a stamp
// file in gitDir and drops the entries recorded since the last stamp whose
// file times are not before it (racy: a write in the same tick would not
// show in the stat). Without a clock reading every fresh entry goes.
func (c *statCache) stamp(gitDir string) {
	if len(c.fresh) == 0 {
		return
	}
	now := int64(-1 << 63)
	p := filepath.Join(gitDir, stampFile)
	if err := os.WriteFile(p, nil, 0o644); err == nil {
		if fi, err := os.Lstat(p); err == nil {
			now = c.trunc(fi.ModTime())
		}
	}
	for _, f := range c.fresh {
		e, ok := c.entries[f]
		if ok && (now == -1<<63 || e.key.mtime >= now || e.key.ctime >= now) {
			delete(c.entries, f)
		}
	}
	c.fresh = c.fresh[:0]
}
