package fgd

import (
	"io/fs"
	"syscall"
	"time"
)

// Stamp is what a stat says of one version of a file: its size,
// modification time, change time and inode. Any write, rename or link moves
// the change time, which no user can set back, so an unchanged stamp means
// the bytes hashed under it are still there, except where the times do not
// move (some file systems, a clock stepped back): a cache that trusts
// stamps also re-reads everything from time to time.
type Stamp struct {
	Size  int64
	MTime int64 // ns
	CTime int64 // ns
	Ino   uint64
}

// StampOf is fi's stamp (without change time and inode where the system
// gives none).
func StampOf(fi fs.FileInfo) Stamp {
	s := Stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.Ino = st.Ino
		s.CTime = st.Ctim.Nano()
	}
	return s
}

// RacyWindow is how close to now a modification time must be for a stamp
// to prove nothing: a write in the same tick of the file system's clock as
// the stat that took the stamp leaves the times as they were. Two seconds
// cover the coarsest clocks fgd expects (1 s on ext3 and some network file
// systems).
const RacyWindow = 2 * time.Second

// Racy reports whether s was modified so recently before now that a write
// right after the stat could have left it unchanged: the bytes read under a
// racy stamp must be read again next time.
func (s Stamp) Racy(now time.Time) bool {
	return s.MTime >= now.Add(-RacyWindow).UnixNano()
}
