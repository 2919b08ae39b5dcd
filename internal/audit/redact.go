package audit

import (
	"github.com/fgdproject/fgd/internal/logging"
	"maps"
	"regexp"
)

// Redacted replaces a secret value.
const Redacted = logging.Redacted

// Redact returns a copy of m in which the value of every key that names a
// secret (logging.NamesSecret) is Redacted, at any depth (maps and slices are walked). m is
// not changed; nil stays nil.
func Redact(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		// Stricter than the log: even "token_name" is redacted, since an
		// audit line needs no such key to say who did what.
		if logging.NamesSecret(k) {
			out[k] = Redacted
			continue
		}
		out[k] = redactValue(v)
	}
	return out
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Redact(v)
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, s := range v {
			out[k] = s
		}
		return Redact(out)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = redactValue(x)
		}
		return out
	case string:
		return RedactText(v)
	}
	return v
}

// credentialPatterns find credentials written inline in free text: an
// HTTP authorization value, a key=value or key: value pair whose key looks
// secret, and the password of a URL.
var credentialPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}`), "${1} " + Redacted},
	{regexp.MustCompile(`(?i)\b([a-z_-]*(?:secret|password|passwd|passphrase|api_?key|authorization|cookie)[a-z_-]*)\s*([=:])\s*("[^"]*"|[^\s,;&]+)`), "${1}${2}" + Redacted},
	{regexp.MustCompile(`(://[^/\s:@]*):[^/\s@]*@`), "${1}:" + Redacted + "@"},
}

// RedactText returns s with credentials written inline removed: bearer and
// basic authorization values, key=value pairs whose key names a secret,
// password or API key, and the passwords of URLs. It cannot know every
// secret: the callers never put one in text on purpose.
func RedactText(s string) string {
	if s == "" {
		return s
	}
	for _, p := range credentialPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}
