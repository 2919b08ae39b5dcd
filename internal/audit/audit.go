// Package audit writes fgd's audit log: one JSON line per operation — every
// sync and what triggered it, every reload, suspend and resume — in the
// state directory, rotated by size but kept for a retention, with secret
// values redacted (SPEC §6). Rejected requests are counted per caller and
// minute into a log of their own (Rejections), so that no volume of them
// can rotate the operators' records away.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Defaults a caller may pass to New.
const (
	// DefaultMaxBytes is the size past which the log is rotated.
	DefaultMaxBytes = 10 << 20
	// DefaultKeep is how many rotated files are kept.
	DefaultKeep = 5
	// FileName is the audit log's name in the state directory.
	FileName = "audit.log"
)

// Actions, the "action" of an entry.
const (
	ActionSync     = "sync"
	ActionSuspend  = "suspend"
	ActionResume   = "resume"
	ActionReload   = "reload"
	ActionRejected = "rejected_request"
)

// Actors that are not API tokens. A webhook is "webhook:" and its provider
// ("webhook:github"); an API caller is the configured name of its token.
const (
	ActorAnonymous = "anonymous"
	ActorPoll      = "poll"
	ActorFsnotify  = "fsnotify"
	ActorWebhook   = "webhook:"
)

// Outcomes, the "outcome" of an entry. Callers may use others.
const (
	OutcomeAccepted  = "accepted"
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
	OutcomeRejected  = "rejected"
	OutcomeOK        = "ok"
)

// Entry is one line of the audit log.
type Entry struct {
	// Time is when it happened; zero means now (the Log's clock).
	Time time.Time `json:"time"`
	// Actor is who asked: a token's configured name, "anonymous", "poll",
	// "fsnotify" or "webhook:<provider>". Never a secret.
	Actor string `json:"actor"`
	// Remote is the caller's network address, when there is one.
	Remote   string `json:"remote,omitempty"`
	Action   string `json:"action"`
	Fabric   string `json:"fabric,omitempty"`
	Revision string `json:"revision,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
	// Changes counts or lists what the operation changed; values under
	// secret-looking keys are redacted (see Redact).
	Changes map[string]any `json:"changes,omitempty"`
	// Detail is free text for the operator; credentials in it are
	// redacted (see RedactText).
	Detail string `json:"detail,omitempty"`
}

// Log is an audit log file rotated by size. It is safe for concurrent use:
// lines from concurrent Records never interleave, and none is lost to a
// rotation.
type Log struct {
	path     string
	maxBytes int64
	keep     int
	now      func() time.Time

	mu   sync.Mutex
	f    *os.File // nil until the first Record, and after Close
	size int64    // bytes in f
	// partial is set when f ends in part of a line that could not be cut
	// off: the next record starts on a new line.
	partial bool

	// retention and maxFiles, when retention is set (see KeepFor), keep
	// rotated files past keep until their newest record is older than
	// retention, up to maxFiles.
	retention time.Duration
	maxFiles  int
}

// DefaultMaxFiles bounds the rotated files KeepFor keeps for their
// retention: with DefaultMaxBytes, 1 GiB.
const DefaultMaxFiles = 100

// KeepFor makes rotation keep, beyond the keep newest rotated files, every
// one whose newest record (its last write) is younger than retention, up
// to maxFiles rotated files in all (DefaultMaxFiles when maxFiles <= 0).
// So no record younger than retention is dropped unless the log grows past
// maxFiles × its size limit within that time.
func (l *Log) KeepFor(retention time.Duration, maxFiles int) {
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retention, l.maxFiles = retention, max(maxFiles, l.keep)
}

// New returns the audit log at path, rotated when a line would take it past
// maxBytes (DefaultMaxBytes when maxBytes <= 0): path becomes path.1, path.1
// becomes path.2, and so on, keeping keep rotated files (0 keeps none: the
// log starts over). now is the clock (time.Now when nil). The directory is
// created when missing; the file is opened (mode 0600) so that a log that
// cannot be written fails here, at start-up, not at the first operation.
func New(path string, maxBytes int64, keep int, now func() time.Time) (*Log, error) {
	if path == "" {
		return nil, errors.New("audit: the log's path must not be empty")
	}
	if keep < 0 {
		return nil, fmt.Errorf("audit: keep must be 0 or more, not %d", keep)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if now == nil {
		now = time.Now
	}
	l := &Log{path: path, maxBytes: maxBytes, keep: keep, now: now}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit: create the directory of %s: %w (check state_dir and its permissions)", path, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// Path returns the path of the current log file.
func (l *Log) Path() string { return l.path }

// Record appends e as one JSON line, rotating first when the line would
// take the file past the size limit. Secret-looking values in e.Changes and
// credentials in e.Detail are redacted. Lines are written unbuffered (one
// write each), so a crash of fgd loses none that Record returned for.
func (l *Log) Record(e Entry) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	e.Changes = Redact(e.Changes)
	e.Detail = RedactText(e.Detail)
	e.Actor = RedactText(e.Actor)
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: encode the %s entry of fabric %q: %w", e.Action, e.Fabric, err)
	}
	line = append(line, '\n')

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	if l.size > 0 && l.size+int64(len(line)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	if l.partial {
		line = append([]byte{'\n'}, line...)
	}
	n, err := l.f.Write(line)
	if err != nil {
		// A full disk takes part of a line: cut it off, or the next
		// record would be glued to half a line.
		if n > 0 {
			if terr := l.f.Truncate(l.size); terr != nil {
				err = fmt.Errorf("%w; cutting off the partial line failed too: %w", err, terr)
				l.size += int64(n)
				l.partial = true
			}
		}
		return fmt.Errorf("audit: write to %s: %w (is the disk full?)", l.path, err)
	}
	l.size += int64(n)
	l.partial = false
	return nil
}

// Close closes the file. A later Record opens it again, so records that
// arrive while the daemon shuts down are not lost.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("audit: close %s: %w", l.path, err)
	}
	return nil
}

// open opens (or creates) the current file for appending. l.mu is held.
func (l *Log) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open %s: %w (check state_dir and its permissions)", l.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("audit: stat %s: %w", l.path, err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// rotate shifts path.(n) → path.(n+1), …, path → path.1, opens a new,
// empty path, and deletes the rotated files past what is kept (see
// expired). l.mu is held.
func (l *Log) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("audit: close %s before rotating it: %w", l.path, err)
	}
	l.f, l.partial = nil, false // the next line goes to a new file
	if l.keep == 0 && l.retention == 0 {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit: rotate %s: %w", l.path, err)
		}
		return l.open()
	}
	n := 0
	for l.exists(n + 1) {
		n++
	}
	// The oldest moves first, so every rename lands on a free name.
	for i := n; i >= 0; i-- {
		if err := os.Rename(l.rotated(i), l.rotated(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit: rotate %s to %s: %w", l.rotated(i), l.rotated(i+1), err)
		}
	}
	for i := n + 1; i > l.keep && l.expired(i); i-- {
		if err := os.Remove(l.rotated(i)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit: drop the old rotated log %s: %w", l.rotated(i), err)
		}
	}
	return l.open()
}

// expired reports whether the rotated file i may be deleted: past keep
// without a retention, past maxFiles, or with its last write older than
// the retention. Files are checked from the oldest down, and a newer file
// is never older than an older one, so the first one kept ends the check.
func (l *Log) expired(i int) bool {
	if l.retention == 0 || i > l.maxFiles {
		return true
	}
	fi, err := os.Stat(l.rotated(i))
	if err != nil {
		return true
	}
	return l.now().Sub(fi.ModTime()) > l.retention
}

func (l *Log) exists(i int) bool {
	_, err := os.Lstat(l.rotated(i))
	return err == nil
}

// rotated is the name of the i-th rotated file; 0 is the current one.
func (l *Log) rotated(i int) string {
	if i == 0 {
		return l.path
	}
	return l.path + "." + strconv.Itoa(i)
}
