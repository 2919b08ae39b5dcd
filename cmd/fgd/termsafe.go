package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safe makes a name or message from the file system, a config file or the
// daemon's API fit to print on a terminal: control characters (ESC, CR,
// newlines, tabs, DEL, the C1 range), Unicode format characters (bidi
// overrides that reorder what is shown) and invalid UTF-8 become visible
// escapes (\x1b, \n, \u202e), and a backslash is doubled so an escape
// cannot be forged. Printable text, non-ASCII letters included, is kept.
// A file named "a\x1b]0;owned\a" can then neither retitle the window, nor
// clear the screen, nor forge a line of fgd's output.
func safe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case escapedRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether safe would change s.
func needsEscape(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || r < 0x20 || r == 0x7f || escapedRune(r) {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// escapedRune reports the non-ASCII runes a terminal must not get raw: C1
// controls, format characters (bidi controls, zero-width joiners) and
// anything else unprintable; a plain space stays.
func escapedRune(r rune) bool {
	if r < 0x80 {
		return false
	}
	return r <= 0x9f || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r) && r != ' '
}

// safeAll applies safe to every string of ss.
func safeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = safe(s)
	}
	return out
}

// safeLines is safe for a message of several lines (a config with several
// problems): each line is escaped, the line breaks between them kept.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	return strings.Join(lines, "\n")
}
