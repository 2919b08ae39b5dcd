package ingest

import (
	"os"
	"path/filepath"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
)

// restamp gives the cache's entry for rel the file's stamp on disk without
// reading it: what a file system whose times do not move leaves behind
// when the file is rewritten, so only a full pass can see the change.
func (c *ManagedCache) restamp(root, rel string) error {
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.valid[rel]; ok {
		e.stamp = fgd.StampOf(fi)
	}
	return nil
}

// advance moves the cache's clock on by d.
func (c *ManagedCache) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	c.now = func() time.Time { return now().Add(d) }
}
