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
// Records are unique by (Path, SHA256), so a re-run after a crash never
// doubles one; When is the only field that changes from run to run.
type Record struct {
	Path       string `yaml:"path"`
	SHA256     string `yaml:"sha256"`
	ArchivedAs string `yaml:"archived_as"`
	Documents  int    `yaml:"documents"`
	Outcome    string `yaml:"outcome"`
	When       string `yaml:"when"`
}

func recordKey(path, sha string) string { return path + "\x00" + sha }

// archiveLog is the archive log as read at the start of a run plus the
// records the run adds.
type archiveLog struct {
	records []Record
	seen    map[string]bool
	dirty   bool
}

// readArchiveLog reads fgd's archive log. A log fgd did not write (the
// Hedgehog NetBox plugin keeps one at the same path, in its own shape) is
// neither rewritten, which would drop its fields, nor a reason to stop: it
// is moved aside to .hnp/archive-log.foreign-<hash>.yaml, kept whole, and
// fgd starts its own log. With dry set, the move is only reported.
func readArchiveLog(root string, dry bool) (*archiveLog, *fgd.Repair, error) {
	l := &archiveLog{seen: map[string]bool{}}
	p := filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog))
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read archive log %s: %w", p, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&l.records); err != nil && !errors.Is(err, io.EOF) {
		sum := sha256.Sum256(data)
		aside := strings.TrimSuffix(fgd.ArchiveLog, ".yaml") + ".foreign-" + hex.EncodeToString(sum[:4]) + ".yaml"
		repair := &fgd.Repair{Path: fgd.ArchiveLog,
			Action: fmt.Sprintf("keep the archive log another tool left (%v) whole as %s, and start fgd's own", err, aside)}
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
	for _, r := range l.records {
		l.seen[recordKey(r.Path, r.SHA256)] = true
	}
	return l, nil, nil
}

// add appends r unless a record of the same original is there.
func (l *archiveLog) add(r Record) bool {
	k := recordKey(r.Path, r.SHA256)
	if l.seen[k] {
		return false
	}
	l.seen[k] = true
	l.records = append(l.records, r)
	l.dirty = true
	return true
}

func (l *archiveLog) write(root string) error {
	if !l.dirty {
		return nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(l.records); err != nil {
		return fmt.Errorf("encode archive log: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode archive log: %w", err)
	}
	if _, err := fgd.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog)), buf.Bytes(), 0o644); err != nil {
		return err
	}
	l.dirty = false
	return nil
}
