package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
)

// segmentDigits is the width of a segment's number in its file name, so
// that the names sort in the order of the records.
const segmentDigits = 6

func segmentName(n int) string { return fmt.Sprintf("%0*d.yaml", segmentDigits, n) }

// segmentNumber returns the number of a segment's file name, or 0.
func segmentNumber(name string) int {
	num, ok := strings.CutSuffix(name, ".yaml")
	if !ok || len(num) != segmentDigits {
		return 0
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// lastSegment returns the highest segment number in the segments' folder
// (0 when there is none). It lists names only, never reads the segments.
func lastSegment(root string) (int, error) {
	dir := filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir))
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list the archive log's segments: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("list the archive log's segments in %s: %w", dir, err)
	}
	last := 0
	for _, n := range names {
		last = max(last, segmentNumber(n))
	}
	return last, nil
}

// maxSegmentBytes bounds what resume reads of a segment: far above what
// segmentRecords records take, so only a file fgd did not write hits it.
const maxSegmentBytes = 64 << 20

// resume finishes a roll a crash interrupted: the last segment was written
// but archive-log.yaml still holds its records. Those records are then an
// aligned window of the recent items (a roll moves segmentRecords items
// from the front, one segment after the other), and every item up to the
// window's end is already in a segment. It reads one segment, once.
func (l *archiveLog) resume(root string) error {
	last, err := lastSegment(root)
	if err != nil {
		return err
	}
	l.next = last + 1
	if last == 0 {
		return nil
	}
	seg, err := readSegment(root, last)
	if err != nil || len(seg) == 0 {
		// A segment fgd cannot read is left as it is; the roll carries on
		// after it, so at worst records appear twice, never lost.
		return nil
	}
	for end := segmentRecords; end <= len(l.items); end += segmentRecords {
		window := l.items[end-segmentRecords : end]
		n := 0
		for _, it := range window {
			n += len(it)
		}
		if n == len(seg) && bytes.Equal(bytes.Join(window, nil), seg) {
			l.items = l.items[end:]
			return nil
		}
	}
	return nil
}

func readSegment(root string, n int) ([]byte, error) {
	return fgd.ReadFile(root, path.Join(fgd.ArchiveLogDir, segmentName(n)), maxSegmentBytes)
}

// roll moves the oldest segmentRecords records into the next segment, a
// new file made durable before the caller rewrites archive-log.yaml. An
// existing segment is never overwritten.
func (l *archiveLog) roll(root string) error {
	if l.next == 0 {
		last, err := lastSegment(root)
		if err != nil {
			return err
		}
		l.next = last + 1
	}
	dir := filepath.Join(root, filepath.FromSlash(fgd.ArchiveLogDir))
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return fmt.Errorf("create the archive log's segments folder: %w", err)
		}
		if err := fgd.SyncDirs(map[string]bool{filepath.Dir(dir): true}); err != nil {
			return err
		}
	}
	p := filepath.Join(dir, segmentName(l.next))
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("archive log segment %s appeared while fgd was rolling the log; move it out of %s", p, dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("archive log segment %s: %w", p, err)
	}
	if _, err := fgd.WriteFileAtomic(p, bytes.Join(l.items[:segmentRecords], nil), 0o644); err != nil {
		return err
	}
	l.items = l.items[segmentRecords:]
	l.next++
	return nil
}
