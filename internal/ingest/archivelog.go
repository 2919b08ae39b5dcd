package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

func readArchiveLog(root string) (*archiveLog, error) {
	l := &archiveLog{seen: map[string]bool{}}
	p := filepath.Join(root, filepath.FromSlash(fgd.ArchiveLog))
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read archive log %s: %w", p, err)
	}
	if err := yaml.Unmarshal(data, &l.records); err != nil {
		return nil, fmt.Errorf("archive log %s is not a YAML list of records (%v): fix it, or move it away to start a new one", p, err)
	}
	for _, r := range l.records {
		l.seen[recordKey(r.Path, r.SHA256)] = true
	}
	return l, nil
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
