package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestNewLevels(t *testing.T) {
	tests := []struct {
		level     string
		wantDebug bool
		wantInfo  bool
		wantWarn  bool
	}{
		{"debug", true, true, true},
		{"", false, true, true},
		{"info", false, true, true},
		{"INFO", false, true, true},
		{"warn", false, false, true},
		{"error", false, false, false},
	}
	for _, tt := range tests {
		t.Run("level="+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, tt.level, "json")
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			got := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if line == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line %q is not JSON: %v", line, err)
				}
				got[m["msg"].(string)] = true
			}
			want := map[string]bool{"d": tt.wantDebug, "i": tt.wantInfo, "w": tt.wantWarn, "e": true}
			for msg, w := range want {
				if got[msg] != w {
					t.Errorf("message %q logged = %v, want %v (output %q)", msg, got[msg], w, buf.String())
				}
			}
		})
	}
}

func TestNewRejectsBadValues(t *testing.T) {
	tests := []struct {
		name, level, format string
		wantInErr           []string
	}{
		{"bad level", "verbose", "json", []string{`"verbose"`, "debug, info, warn, error"}},
		{"bad format", "info", "xml", []string{`"xml"`, "auto", "json", "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, err := New(&bytes.Buffer{}, tt.level, tt.format)
			if err == nil {
				t.Fatalf("New(%q, %q) = %v, want an error", tt.level, tt.format, log)
			}
			for _, s := range tt.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
		})
	}
}

// isJSON and isText tell the two handlers' output apart.
func isJSON(line string) bool { return json.Valid([]byte(strings.TrimSpace(line))) }
func isText(line string) bool {
	return strings.HasPrefix(line, "time=") && strings.Contains(line, "msg=hello")
}

func TestNewFormats(t *testing.T) {
	tests := []struct {
		name   string
		format string
		toFile bool // write to a regular file instead of a buffer
		check  func(string) bool
	}{
		{"auto on a buffer is JSON", "auto", false, isJSON},
		{"empty format is auto", "", false, isJSON},
		{"explicit json", "json", false, isJSON},
		{"explicit text", "text", false, isText},
		{"auto on a regular file is JSON", "auto", true, isJSON},
		{"explicit text on a regular file", "text", true, isText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var w io.Writer = &buf
			path := filepath.Join(t.TempDir(), "log")
			if tt.toFile {
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				w = f
			}
			log, err := New(w, "info", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			log.Info("hello")
			out := buf.String()
			if tt.toFile {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				out = string(data)
			}
			if !tt.check(out) {
				t.Errorf("output %q is not in the expected format", out)
			}
		})
	}
}

// openPTY opens a real pseudo-terminal pair: the test needs a terminal to
// prove that "auto" picks the text handler there.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals on this machine (%v): cannot test terminal detection", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pty's terminal side (%v): cannot test terminal detection", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func TestAutoIsTextOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	if !IsTerminal(slave) {
		t.Fatal("IsTerminal(pty) = false, want true")
	}
	log, err := New(slave, "info", "auto")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello")
	if err := master.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("\n")) {
		n, err := master.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("no log line on the terminal within 20s; read %q", got)
			}
			t.Fatal(err)
		}
	}
	if line := string(got); !isText(line) {
		t.Errorf("auto format on a terminal wrote %q, want the text format", line)
	}
}

func TestIsTerminalFalseForNonTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		w    io.Writer
	}{
		{"pipe", w},
		{"buffer", &bytes.Buffer{}},
		{"dev null", func() *os.File {
			f, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if IsTerminal(tt.w) {
				t.Errorf("IsTerminal(%s) = true, want false", tt.name)
			}
		})
	}
}

// Durations are written as "30s" and nil lists as [], in JSON as in text.
func TestHumanValues(t *testing.T) {
	for _, format := range []string{FormatJSON, FormatText} {
		var b strings.Builder
		log, err := New(&b, "info", format)
		if err != nil {
			t.Fatal(err)
		}
		var none []string
		log.Info("config reloaded", "added", none, "drain_timeout", 30*time.Second, "took", 1500*time.Millisecond)
		out := b.String()
		for _, want := range []string{"30s", "1.5s"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q lacks %q", format, out, want)
			}
		}
		if strings.Contains(out, "null") || strings.Contains(out, "30000000000") {
			t.Errorf("%s: %q has null or nanoseconds", format, out)
		}
		if format == FormatJSON && !strings.Contains(out, `"added":[]`) {
			t.Errorf("json: %q: want \"added\":[]", out)
		}
	}
}
