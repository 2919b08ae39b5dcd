package exec

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Redacted replaces a secret's value in a command's output.
const Redacted = "[REDACTED]"

// markerReserve is the room kept in a bounded output for the note saying
// how much was dropped.
const markerReserve = 64

// redactor replaces secrets in a byte stream before passing it on. It
// decides at a position only once it has as many bytes from there as the
// longest secret (or at the end of the stream), so a secret split across
// writes is caught whole, and where one secret begins another, the longest
// wins.
type redactor struct {
	secrets [][]byte // longest first
	longest int
	pending []byte
	out     *boundedBuffer
}

func newRedactor(secrets []string, out *boundedBuffer) *redactor {
	r := &redactor{out: out}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
	slices.SortFunc(r.secrets, func(a, b []byte) int { return len(b) - len(a) })
	if len(r.secrets) > 0 {
		r.longest = len(r.secrets[0])
	}
	return r
}

// Write implements io.Writer; it never fails, so a chatty command is never
// blocked or broken by a full buffer.
func (r *redactor) Write(p []byte) (int, error) {
	if len(r.secrets) == 0 {
		r.out.write(p)
		return len(p), nil
	}
	r.pending = append(r.pending, p...)
	r.process(false)
	return len(p), nil
}

// flush passes on what was held back, at the end of the stream.
func (r *redactor) flush() {
	r.process(true)
}

// process passes on pending up to where it can decide, with every secret
// replaced; at the end of the stream it decides everything.
func (r *redactor) process(final bool) {
	var out []byte
	i, plain := 0, 0 // plain: start of the bytes not yet copied to out
	for i < len(r.pending) {
		if !final && len(r.pending)-i < r.longest {
			break
		}
		n := r.match(r.pending[i:])
		if n == 0 {
			i++
			continue
		}
		out = append(out, r.pending[plain:i]...)
		out = append(out, Redacted...)
		i += n
		plain = i
	}
	out = append(out, r.pending[plain:i]...)
	r.out.write(out)
	r.pending = append(r.pending[:0], r.pending[i:]...)
}

// match returns the length of the longest secret b starts with, or 0.
func (r *redactor) match(b []byte) int {
	for _, s := range r.secrets {
		if b[0] == s[0] && bytes.HasPrefix(b, s) {
			return len(s)
		}
	}
	return 0
}

// boundedBuffer keeps the head and the tail of a stream within a limit: the
// first lines say what the command did, the last ones why it failed.
type boundedBuffer struct {
	head, tail []byte
	headMax    int
	tailMax    int
	dropped    int64
}

// newBoundedBuffer keeps at most limit bytes, the note on what was dropped
// included; limit must be at least 2 × markerReserve.
func newBoundedBuffer(limit int) *boundedBuffer {
	room := limit - markerReserve
	return &boundedBuffer{headMax: room / 2, tailMax: room - room/2}
}

func (b *boundedBuffer) write(p []byte) {
	if n := min(len(p), b.headMax-len(b.head)); n > 0 {
		b.head = append(b.head, p[:n]...)
		p = p[n:]
	}
	if len(p) == 0 {
		return
	}
	if len(p) > b.tailMax {
		b.dropped += int64(len(b.tail) + len(p) - b.tailMax)
		b.tail = append(b.tail[:0], p[len(p)-b.tailMax:]...)
		return
	}
	b.tail = append(b.tail, p...)
	if over := len(b.tail) - b.tailMax; over > 0 {
		b.dropped += int64(over)
		// Shift in place only when the slack is large, so a stream of
		// small writes costs amortized O(1) per byte.
		if over >= b.tailMax {
			b.tail = append(b.tail[:0], b.tail[over:]...)
		} else {
			b.tail = b.tail[over:]
		}
	}
}

// String returns what was kept, with a note where bytes were dropped.
func (b *boundedBuffer) String() string {
	var s strings.Builder
	s.Write(b.head)
	if b.dropped > 0 {
		fmt.Fprintf(&s, "\n[... %d bytes of output dropped ...]\n", b.dropped)
	}
	s.Write(b.tail)
	return s.String()
}

// lastLine is the last non-empty line of s, for error messages.
func lastLine(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	const maxLen = 512
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	return strings.TrimSpace(s)
}
