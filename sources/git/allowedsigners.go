package git

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// allowedSigner is one line of an allowed-signers file (ssh-keygen(1),
// ALLOWED SIGNERS): who may sign with a key, in which namespaces, and when.
type allowedSigner struct {
	principals []string
	key        ssh.PublicKey
	namespaces []string  // empty: every namespace
	after      time.Time // zero: no bound
	before     time.Time // zero: no bound
}

func (s allowedSigner) name() string {
	return strings.Join(s.principals, ",") + " (ssh key " + fingerprint(s.key) + ")"
}

func fingerprint(k ssh.PublicKey) string {
	if k == nil {
		return "(none)"
	}
	return ssh.FingerprintSHA256(k)
}

// sshSigner returns the allowed signer of key for git signatures made at
// when, or nil and why there is none. The signature time is the commit's
// committer time, as git passes it to ssh-keygen.
func (t *trust) sshSigner(key ssh.PublicKey, when time.Time) (*allowedSigner, string) {
	why := "its key is not trusted"
	want := key.Marshal()
	for i := range t.signers {
		s := &t.signers[i]
		if !bytes.Equal(s.key.Marshal(), want) {
			continue
		}
		switch {
		case len(s.namespaces) > 0 && !slices.Contains(s.namespaces, sshNamespace):
			why = fmt.Sprintf("its key is trusted only for the namespaces %s, not %q", strings.Join(s.namespaces, ","), sshNamespace)
		case !s.after.IsZero() && when.Before(s.after):
			why = fmt.Sprintf("its key is trusted only from %s (valid-after), and the commit is of %s", s.after.Format(time.RFC3339), when.Format(time.RFC3339))
		case !s.before.IsZero() && !when.Before(s.before):
			why = fmt.Sprintf("its key is trusted only until %s (valid-before), and the commit is of %s", s.before.Format(time.RFC3339), when.Format(time.RFC3339))
		default:
			return s, ""
		}
	}
	return nil, why
}

// parseAllowedSigners reads an allowed-signers file: per line, principals,
// options (namespaces, valid-after, valid-before), a key type and key, and a
// comment. cert-authority lines are refused: fgd does not check
// certificates, and skipping them would hide the trust the operator meant.
func parseAllowedSigners(data []byte) ([]allowedSigner, error) {
	var out []allowedSigner
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxTrustFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSignerLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseSignerLine(line string) (allowedSigner, error) {
	f := splitQuoted(line)
	if len(f) < 3 {
		return allowedSigner{}, errors.New("want: principals [options] key-type key [comment]")
	}
	s := allowedSigner{principals: strings.Split(strings.Trim(f[0], `"`), ",")}
	rest := f[1:]
	if !isKeyType(rest[0]) {
		if err := s.options(rest[0]); err != nil {
			return allowedSigner{}, err
		}
		rest = rest[1:]
	}
	if len(rest) < 2 {
		return allowedSigner{}, errors.New("no key after the principals and options")
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest[0] + " " + rest[1]))
	if err != nil {
		return allowedSigner{}, fmt.Errorf("the key is not an ssh public key: %v", err)
	}
	s.key = key
	return s, nil
}

func isKeyType(s string) bool {
	return strings.HasPrefix(s, "ssh-") || strings.HasPrefix(s, "ecdsa-") || strings.HasPrefix(s, "sk-")
}

// options reads the comma-separated options of a line.
func (s *allowedSigner) options(field string) error {
	for _, o := range splitOptions(field) {
		name, value, _ := strings.Cut(o, "=")
		value = strings.Trim(value, `"`)
		var err error
		switch strings.ToLower(name) {
		case "namespaces":
			s.namespaces = strings.Split(value, ",")
		case "valid-after":
			s.after, err = signerTime(value)
		case "valid-before":
			s.before, err = signerTime(value)
		case "cert-authority":
			return errors.New("cert-authority is not supported: list the signers' keys themselves")
		default:
			return fmt.Errorf("unknown option %q", name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// signerTime reads YYYYMMDD[HHMM[SS]] with an optional Z (UTC); without Z
// it is local time, as for ssh-keygen.
func signerTime(v string) (time.Time, error) {
	loc := time.Local
	if t, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = t, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(v) == len(layout) {
			return time.ParseInLocation(layout, v, loc)
		}
	}
	return time.Time{}, fmt.Errorf("%q is not YYYYMMDD[HHMM[SS]][Z]", v)
}

// splitQuoted splits a line at blanks outside double quotes.
func splitQuoted(line string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case (r == ' ' || r == '\t') && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// splitOptions splits options at commas outside double quotes.
func splitOptions(field string) []string {
	var out []string
	start, quoted := 0, false
	for i, r := range field {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, field[start:i])
			start = i + 1
		}
	}
	return append(out, field[start:])
}
