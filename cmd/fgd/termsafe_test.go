package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

func TestSafe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"vpc-1.yaml", "vpc-1.yaml"},
		{"ünïcode ✓ 東京.yaml", "ünïcode ✓ 東京.yaml"},
		{"a\x1b]0;owned\a.yaml", `a\x1b]0;owned\x07.yaml`},
		{"clear\x1b[2J\x1b[H", `clear\x1b[2J\x1b[H`},
		{"two\nlines\r\tand tab", `two\nlines\r\tand tab`},
		{"del\x7f c1\u009b bidi\u202e zw\u200b", `del\x7f c1\u009b bidi\u202e zw\u200b`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{`back\slash\x1b`, `back\\slash\\x1b`},
		{"nul\x00", `nul\x00`},
	} {
		if got := safe(c.in); got != c.want {
			t.Errorf("safe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafeLines(t *testing.T) {
	if got, want := safeLines("a.yaml:3: bad \x1b[2J\nb.yaml:4: worse\r"), "a.yaml:3: bad \\x1b[2J\nb.yaml:4: worse\\r"; got != want {
		t.Errorf("safeLines = %q, want %q", got, want)
	}
}

// evilName is a file name that would retitle the window, clear the screen
// and forge a line of output if printed raw.
const evilName = "evil\x1b]0;owned\a\x1b[2J\nfgd ingest: all good.yaml"

// assertEscaped fails when out holds a control character other than the
// line ends fgd writes itself, or lacks the escaped form of evilName.
func assertEscaped(t *testing.T, what, out string) {
	t.Helper()
	if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }); i >= 0 {
		t.Errorf("%s printed a raw control character %q at %d:\n%q", what, out[i], i, out)
	}
	if !strings.Contains(out, `evil\x1b]0;owned\x07\x1b[2J\nfgd ingest: all good.yaml`) {
		t.Errorf("%s does not show the escaped name:\n%s", what, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "fgd ingest: all good") {
			t.Errorf("%s let the name forge a line: %q", what, l)
		}
	}
}

// A file named with escape sequences and a newline is printed escaped by
// fgd plan and fgd ingest, in their reports and in their errors.
func TestIngestAndPlanEscapeFileNames(t *testing.T) {
	root := t.TempDir()
	dropVPC(t, root, "vpc-ok")
	if err := os.WriteFile(filepath.Join(root, "raw", evilName), []byte(fmt.Sprintf(e2eVPC, "vpc-evil")), 0o644); err != nil {
		t.Fatal(err)
	}
	// A document fgd rejects, so the name appears in a reason too.
	if err := os.WriteFile(filepath.Join(root, "raw", evilName+".bad.yaml"), []byte("kind: Gateway\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"plan", "ingest"} {
		var out, errb strings.Builder
		code := dispatch([]string{cmd, root}, &out, &errb)
		if code != 0 {
			t.Fatalf("fgd %s = %d\n%s\n%s", cmd, code, out.String(), errb.String())
		}
		assertEscaped(t, "fgd "+cmd, out.String()+errb.String())
	}
}

// With --output json a fatal error is a JSON error object on stdout, with
// the exit status the text mode has.
func TestOutputJSONErrors(t *testing.T) {
	closed := fmt.Sprintf("http://127.0.0.1:%d", daemontest.FreePort(t))
	missing := filepath.Join(t.TempDir(), "no-such-fgd")
	for _, c := range []struct {
		name      string
		args      []string
		code      int
		class     string
		inMessage string
	}{
		{"ingest of a missing folder", []string{"ingest", missing, "--output", "json"}, 1, "", "no-such-fgd"},
		{"plan of a missing folder", []string{"plan", missing, "--output", "json"}, 1, "", "no-such-fgd"},
		{"status against a closed port", []string{"status", "--server", closed, "--output", "json"}, 1, classUnreachable, "cannot reach fgd"},
		{"sync against a closed port", []string{"sync", "lab", "--server", closed, "--output", "json"}, 1, classUnreachable, "cannot reach fgd"},
		{"sync --wait against a closed port", []string{"sync", "lab", "--wait", "--server", closed, "--output", "json"}, 1, classUnreachable, "cannot reach fgd"},
		{"status with a bad --server", []string{"status", "--server", "ftp://x", "--output", "json"}, 2, classUsage, "--server"},
		{"ingest without a folder", []string{"ingest", "--output", "json"}, 2, classUsage, "exactly one FGD folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := dispatch(c.args, &out, &errb)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, errb.String())
			}
			var got errorOutput
			dec := json.NewDecoder(strings.NewReader(out.String()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not a JSON error object: %v\n%q", err, out.String())
			}
			if got.Error.Class != c.class || !strings.Contains(got.Error.Message, c.inMessage) {
				t.Errorf("error %+v, want class %q and a message naming %q", got.Error, c.class, c.inMessage)
			}
			if errb.Len() == 0 {
				t.Error("nothing on stderr: the text for people must stay")
			}
		})
	}
}

// Names and messages the daemon's API sends are escaped in fgd status and
// fgd sync --wait: anything may answer at --server.
func TestStatusAndSyncEscapeTheAPIsText(t *testing.T) {
	now := time.Now()
	var b strings.Builder
	writeStatusTable(&b, []httpapi.FabricView{{Name: "dc1\x1b[2J", State: "failed", Revision: "\x1b]0;x\a",
		LastError: "boom\x1b[31m\nforged line", LastSuccess: &now}}, now)
	p := newProgress(&b, false)
	sv := httpapi.SyncView{ID: "id\x1b[H", Fabric: "dc1\x1b[2J", Trigger: "api\r", State: "failed\x1b[K",
		Transitions: []httpapi.TransitionView{{State: "pending\x1b[1A", At: now}}, Done: true, Error: "e\x1b[2J", Started: now}
	p.show(sv)
	code := finishSync(sv, p, false, &b, &b)
	if code != 1 {
		t.Errorf("finishSync of a failed sync = %d", code)
	}
	out := b.String()
	if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' }); i >= 0 {
		t.Errorf("a raw control character %q at %d:\n%q", out[i], i, out)
	}
	for _, want := range []string{`dc1\x1b[2J`, `boom\x1b[31m forged line`, `pending\x1b[1A`, `e\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
