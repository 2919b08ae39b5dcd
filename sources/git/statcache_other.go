//go:build !linux

package git

import (
	"os"
	"time"
)

// sysStat returns the modification time of fi twice (the change time is
// not portable) and no inode: size, mode and mtime still guard the cache,
// and the racy check covers writes within the clock's tick.
func sysStat(fi os.FileInfo) (mtime, ctime time.Time, ino uint64) {
	return fi.ModTime(), fi.ModTime(), 0
}
