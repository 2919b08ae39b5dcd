package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
)

// Record is one entry of .hnp/archive-log.yaml: an original fgd handled.
// Records are unique by (Path, SHA256) among the recent ones, so a re-run
// after a crash never doubles one; When is the only field that changes from
// run to run.
type Record struct {
	Path       string `yaml:"path"`
	SHA256     string `yaml:"sha256"`
	ArchivedAs string `yaml:"archived_as"`
	Documents  int    `yaml:"documents"`
	Outcome    string `yaml:"outcome"`
	When       string `yaml:"when"`
}

// The archive log keeps its recent records in .hnp/archive-log.yaml, a YAML
// list in the shape it always had, and rolls older ones into numbered
// segments of the same shape, .hnp/archive-log/000001.yaml, 000002.yaml, …
// (oldest first, segmentRecords records each). A sync therefore reads and
// rewrites at most recentMax records, whatever the history's length.
const (
	// recentMax is the most records archive-log.yaml holds once a write
	// is done; a write that would leave more rolls the oldest out.
	recentMax = 1000
	// segmentRecords is the number of records in each segment. Rolls move
	// exactly this many from the front, so segment n always holds records
	// (n-1)*segmentRecords+1 … n*segmentRecords of the log, however the
	// syncs that wrote them were split.
	segmentRecords = 500
)

// archiveLog is the recent part of the archive log as read at the start of
// a run plus the records the run adds. Records are kept as the YAML text
// of one list item each, never re-encoded: a sync appends the new items to
// the bytes it read (no YAML decoding of the old ones), a roll writes the
// bytes it read, and an interrupted roll is recognised by comparing bytes.
type archiveLog struct {
	items [][]byte // "- path: …\n  sha256: …\n" per record, oldest first
	// seen holds the keys (see itemKey) of the items, built on the first
	// add: a sync that adds nothing never builds it.
	seen  map[string]bool
	dirty bool
	// next is the number of the next segment; 0 until the segments'
	// folder has been listed (only a roll needs it).
	next int
}

// readArchiveLog reads the recent part of fgd's archive log. A log fgd did
// not write (the Hedgehog NetBox plugin keeps one at the same path, in its
// own shape) is neither rewritten, which would drop its fields, nor a
// reason to stop: it is moved aside to .hnp/archive-log.foreign-<hash>.yaml,
// kept whole, and fgd starts its own log. With dry set, the move is only
// reported.
//
// A recent file holding more than recentMax records comes from an
// interrupted roll or from a version of fgd that kept the whole history in
// it: the roll is finished here (with dry set, only in memory), which is
// O(history) once.
func readArchiveLog(root string, dry bool) (*archiveLog, *fgd.Repair, error) {
	p := filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog))
	data, err := fgd.ReadFile(root, fgd.ArchiveLog, fgd.MaxArchiveLogBytes)
	if errors.Is(err, os.ErrNotExist) {
		return &archiveLog{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read archive log %s: %w", p, err)
	}
	items, err := parseLog(data)
	if err != nil {
		return foreignLog(root, p, data, err, dry)
	}
	l := &archiveLog{items: items}
	if len(l.items) <= recentMax {
		return l, nil, nil
	}
	if err := l.resume(root); err != nil {
		return nil, nil, err
	}
	// What write will move: whole segments, until at most recentMax stay.
	rolled := 0
	if over := len(l.items) - recentMax; over > 0 {
		rolled = (over + segmentRecords - 1) / segmentRecords * segmentRecords
	}
	repair := &fgd.Repair{Path: fgd.ArchiveLog,
		Action: fmt.Sprintf("finish rolling the archive log: %d more records into segments in %s, at most %d stay", rolled, fgd.ArchiveLogDir, recentMax)}
	l.dirty = true
	if !dry {
		if err := l.write(root); err != nil {
			return nil, nil, err
		}
	}
	return l, repair, nil
}

// foreignLog moves a log fgd did not write aside (see readArchiveLog).
func foreignLog(root, p string, data []byte, why error, dry bool) (*archiveLog, *fgd.Repair, error) {
	sum := sha256.Sum256(data)
	aside := strings.TrimSuffix(fgd.ArchiveLog, ".yaml") + ".foreign-" + hex.EncodeToString(sum[:4]) + ".yaml"
	repair := &fgd.Repair{Path: fgd.ArchiveLog,
		Action: fmt.Sprintf("keep the archive log another tool left (%v) whole as %s, and start fgd's own", why, aside)}
	if dry {
		return &archiveLog{seen: map[string]bool{}}, repair, nil
	}
	to := filepath.Join(root, filepath.FromSlash(aside))
	if _, err := os.Stat(to); err == nil {
		// The same content is already kept under that name.
		if err := os.Remove(p); err != nil {
			return nil, nil, fmt.Errorf("archive log %s: %w", p, err)
		}
	} else if err := os.Rename(p, to); err != nil {
		return nil, nil, fmt.Errorf("move the foreign archive log %s aside: %w", p, err)
	}
	return &archiveLog{seen: map[string]bool{}}, repair, nil
}

// parseLog splits an archive log into its records' text and checks that it
// is fgd's: a YAML list of Records, no other field. A log as fgd writes it
// is recognised line by line, without a YAML decoder (a sync reads the
// recent part every time, and decoding 1,000 records costs more than the
// rest of a one-file sync). Anything else is decoded, segmentRecords items
// at a time when it splits into items, so a long log never becomes one huge
// YAML tree in memory, and its records are re-encoded.
func parseLog(data []byte) ([][]byte, error) {
	items, ok := splitItems(data)
	if !ok {
		return reencode(data)
	}
	plain := true
	for _, it := range items {
		if !plainItem(it) {
			plain = false
			break
		}
	}
	if plain {
		return items, nil
	}
	for start := 0; start < len(items); start += segmentRecords {
		chunk := items[start:min(start+segmentRecords, len(items))]
		recs, err := decodeRecords(bytes.Join(chunk, nil))
		if err != nil {
			return nil, err
		}
		if len(recs) != len(chunk) {
			return reencode(data)
		}
	}
	return items, nil
}

// recordFields are the lines of an item as fgd writes it, in order.
var recordFields = []string{"- path: ", "  sha256: ", "  archived_as: ", "  documents: ", "  outcome: ", "  when: "}

// plainItem reports whether item is one record exactly as encodeRecord
// writes it: the six fields in order, one line each, every value a plain
// or whole quoted scalar on its line.
func plainItem(item []byte) bool {
	for _, f := range recordFields {
		line, rest, ok := bytes.Cut(item, []byte("\n"))
		if !ok || !bytes.HasPrefix(line, []byte(f)) {
			return false
		}
		v := line[len(f):]
		if len(v) == 0 || !wholeScalar(v) {
			return false
		}
		item = rest
	}
	return len(item) == 0
}

// wholeScalar rejects the starts of values that continue past their line
// or are not scalars: block scalars, flow collections, anchors, tags,
// unclosed quotes.
func wholeScalar(v []byte) bool {
	switch v[0] {
	case '|', '>', '[', '{', '&', '*', '!':
		return false
	case '"', '\'':
		return len(v) >= 2 && v[len(v)-1] == v[0]
	}
	return true
}

// splitItems cuts a block-style YAML list at its items: each starts with a
// line that begins "-" in the first column, which inside a block sequence
// at indent 0 can be nothing else. ok is false when data has anything but
// blank or comment lines before the first item.
func splitItems(data []byte) (items [][]byte, ok bool) {
	start := -1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off + 1
		}
		line := data[off:end]
		if line[0] == '-' && (len(line) == 1 || line[1] == ' ' || line[1] == '\n') {
			if bytes.HasPrefix(line, []byte("---")) {
				return nil, false
			}
			if start >= 0 {
				items = append(items, data[start:off])
			}
			start = off
		} else if start < 0 {
			if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
				return nil, false
			}
		}
		off = end
	}
	if start >= 0 {
		item := data[start:]
		if item[len(item)-1] != '\n' {
			item = append(item[:len(item):len(item)], '\n')
		}
		items = append(items, item)
	}
	return items, true
}

// reencode decodes a whole log and renders each record as one item.
func reencode(data []byte) ([][]byte, error) {
	recs, err := decodeRecords(data)
	if err != nil {
		return nil, err
	}
	items := make([][]byte, len(recs))
	for i, r := range recs {
		if items[i], err = encodeRecord(r); err != nil {
			return nil, err
		}
	}
	return items, nil
}

func decodeRecords(data []byte) ([]Record, error) {
	var recs []Record
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&recs); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return recs, nil
}

// encodeRecord renders r as one item of the log's list.
func encodeRecord(r Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode([]Record{r}); err != nil {
		return nil, fmt.Errorf("encode archive log record of %s: %w", r.Path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode archive log record of %s: %w", r.Path, err)
	}
	return buf.Bytes(), nil
}

// itemKey is what makes two records one original: the item's text up to
// its sha256 line (the path and the sum as encoded), the same for an item
// read back as for one just encoded.
func itemKey(item []byte) string {
	if i := bytes.Index(item, []byte("\n  sha256:")); i >= 0 {
		if j := bytes.IndexByte(item[i+1:], '\n'); j >= 0 {
			return string(item[:i+1+j+1])
		}
	}
	return string(item)
}

// add appends r unless a recent record of the same original is there.
func (l *archiveLog) add(r Record) (bool, error) {
	item, err := encodeRecord(r)
	if err != nil {
		return false, err
	}
	if l.seen == nil {
		l.seen = make(map[string]bool, len(l.items)+1)
		for _, it := range l.items {
			l.seen[itemKey(it)] = true
		}
	}
	k := itemKey(item)
	if l.seen[k] {
		return false, nil
	}
	l.seen[k] = true
	l.items = append(l.items, item)
	l.dirty = true
	return true, nil
}

// write makes the log on disk hold the records: first every segment a roll
// needs (each a new file, made durable), then archive-log.yaml rewritten
// with what remains. A crash between the two leaves the rolled records in
// both places; resume recognises that on the next read or, when the file
// was left under recentMax records, before the next roll.
func (l *archiveLog) write(root string) error {
	if !l.dirty {
		return nil
	}
	if len(l.items) > recentMax && l.next == 0 {
		// A run killed after rolling a segment but before rewriting
		// archive-log.yaml may have left that file at or under recentMax
		// records (the roll was pushed by records the run had not written
		// yet), so readArchiveLog did not resume it: recognise the segment
		// now, before rolling the same records into another one.
		if err := l.resume(root); err != nil {
			return err
		}
	}
	for len(l.items) > recentMax {
		if err := l.roll(root); err != nil {
			return err
		}
	}
	if _, err := fgd.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog)), bytes.Join(l.items, nil), 0o644); err != nil {
		return err
	}
	l.dirty = false
	return nil
}
