package git

import (
	"os"
	"syscall"
	"time"
)

// sysStat returns the modification and change times and the inode of fi.
func sysStat(fi os.FileInfo) (mtime, ctime time.Time, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.ModTime(), fi.ModTime(), 0
	}
	return time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix()), st.Ino
}
