// Package logging builds fgd's slog.Logger from the config's log level and
// format, and keeps secret-looking attribute values out of every log line.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"

	"golang.org/x/sys/unix"
)

// Formats accepted by New.
const (
	FormatAuto = "auto" // text on a terminal, JSON otherwise (journald, files, pipes)
	FormatJSON = "json"
	FormatText = "text"
)

// levels maps the config's level names to slog levels; the order of
// levelNames is the one error messages list.
var levels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

var levelNames = []string{"debug", "info", "warn", "error"}

// New returns a logger writing to w at the given level ("debug", "info",
// "warn" or "error"; empty means info) in the given format ("auto", "json" or
// "text"; empty means auto). Attribute values whose key looks secret are
// redacted (see NewRedactingHandler).
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: humanAttr}
	var h slog.Handler
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case FormatAuto, "":
		if IsTerminal(w) {
			h = slog.NewTextHandler(w, opts)
		} else {
			h = slog.NewJSONHandler(w, opts)
		}
	case FormatJSON:
		h = slog.NewJSONHandler(w, opts)
	case FormatText:
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q is not valid: use one of %s, %s, %s (log.format in the config)",
			format, FormatAuto, FormatJSON, FormatText)
	}
	return slog.New(NewRedactingHandler(h)), nil
}

// ParseLevel turns a config level name into a slog.Level; empty means info.
func ParseLevel(level string) (slog.Level, error) {
	name := strings.ToLower(strings.TrimSpace(level))
	if name == "" {
		return slog.LevelInfo, nil
	}
	if l, ok := levels[name]; ok {
		return l, nil
	}
	return 0, fmt.Errorf("log level %q is not valid: use one of %s (log.level in the config)",
		level, strings.Join(levelNames, ", "))
}

// IsTerminal reports whether w is a file descriptor attached to a terminal.
// Anything without a file descriptor (buffers, pipes wrapped in writers) is
// not a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// humanAttr writes values for people in both formats: a duration as "30s"
// (JSON would give 30000000000 nanoseconds), and a nil list as [] (JSON
// would give null, which reads as "unknown" rather than "none").
func humanAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(a.Value.Duration().String())
	case slog.KindAny:
		if v := reflect.ValueOf(a.Value.Any()); v.Kind() == reflect.Slice && v.IsNil() {
			a.Value = slog.AnyValue([]string{})
		}
	}
	return a
}
