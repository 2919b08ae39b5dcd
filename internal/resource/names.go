package resource

import (
	"fmt"
	"strings"
)

// Kubernetes object name limits (DNS-1123).
const (
	maxNameLen      = 253 // a DNS-1123 subdomain: metadata.name
	maxNamespaceLen = 63  // a DNS-1123 label: metadata.namespace
)

// checkName returns why s is not a valid Kubernetes name, with a hint, or "" when it is. what is
// "name" or "namespace": names are DNS-1123 subdomains (dots allowed), namespaces DNS-1123 labels.
func checkName(s, what string) (msg, hint string) {
	label := what == "namespace"
	limit := maxNameLen
	if label {
		limit = maxNamespaceLen
	}
	shown := s
	if len(shown) > 60 {
		shown = shown[:57] + "..."
	}
	switch {
	case s == "":
		return fmt.Sprintf("%s is empty", what), fmt.Sprintf("give the object a %s, for example vpc-1", what)
	case len(s) > limit:
		return fmt.Sprintf("%s %q is %d characters long; the limit is %d", what, shown, len(s), limit),
			fmt.Sprintf("shorten the %s to %d characters or fewer", what, limit)
	case strings.ContainsAny(s, "/\\"):
		return fmt.Sprintf("%s %q contains a path separator", what, shown),
			fmt.Sprintf("a %s cannot hold '/' or '\\' (it becomes a file name); use '-' instead: %s", what, suggestName(s, label))
	case strings.Contains(s, ".."), s == ".":
		return fmt.Sprintf("%s %q contains \"..\"", what, shown),
			fmt.Sprintf("use lowercase letters, digits and '-': %s", suggestName(s, label))
	case strings.ToLower(s) != s && validName(strings.ToLower(s), label):
		return fmt.Sprintf("%s %q has upper-case letters", what, shown),
			fmt.Sprintf("use lowercase: %s", strings.ToLower(s))
	case !validName(s, label):
		allowed := "lowercase letters, digits, '-' and '.'"
		if label {
			allowed = "lowercase letters, digits and '-'"
		}
		return fmt.Sprintf("%s %q is not a valid Kubernetes %s: it must consist of %s, and start and end with a letter or digit", what, shown, what, allowed),
			fmt.Sprintf("rename it, for example %s", suggestName(s, label))
	}
	return "", ""
}

// validName reports whether s is a DNS-1123 subdomain (or label, when label is set), length aside.
func validName(s string, label bool) bool {
	if s == "" {
		return false
	}
	prev := byte('.')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if prev == '.' {
				return false
			}
		case c == '.' && !label:
			if prev == '.' || prev == '-' {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return prev != '-' && prev != '.'
}

// suggestName turns s into a valid name, for hints.
func suggestName(s string, label bool) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '.' && !label)
		if ok {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	out := strings.Trim(b.String(), ".-")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	if out == "" {
		out = "my-object"
	}
	if len(out) > maxNamespaceLen && label {
		out = strings.Trim(out[:maxNamespaceLen], ".-")
	}
	return out
}
