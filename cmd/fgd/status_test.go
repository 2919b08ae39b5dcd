package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/httpapi"
)

func TestStatusCommand(t *testing.T) {
	d := newTestDaemon(t, false)
	locked := newTestDaemon(t, true)
	dead := deadAddress(t)
	tests := []struct {
		name       string
		args       []string
		env        string // $FGD_TOKEN_FILE
		wantCode   int
		wantOut    []string // in this order
		wantErr    []string
		notWantOut []string
	}{
		{name: "table", args: []string{"--server", d.url}, wantOut: []string{
			"FABRIC", "STATE", "REVISION", "LAST SUCCESS", "RESOURCES", "LAST ERROR",
			"dc1", "idle", "0123456789ab ", "5m ago", "3",
			"edge", "idle", "-", "never", "0",
			"lab", "failed", "r1", "never", "0", "FGD /srv/fgd/lab does not exist"},
			notWantOut: []string{"0123456789abc"}},
		{name: "table is text", args: []string{"--server", d.url, "--output", "table"}, wantOut: []string{"FABRIC", "dc1", "lab"}},
		{name: "host:port", args: []string{"--server", strings.TrimPrefix(d.url, "http://")}, wantOut: []string{"dc1"}},
		{name: "unreachable", args: []string{"--server", "http://" + dead}, wantCode: 1,
			wantErr: []string{"cannot reach fgd at http://" + dead, "is fgd running?"}},
		{name: "default server is named", args: []string{"--server", dead}, wantCode: 1, wantErr: []string{"http://" + dead}},
		{name: "read token needed", args: []string{"--server", locked.url}, wantCode: 1,
			wantErr: []string{"needs a bearer token (HTTP 401)", "fix: send Authorization", "no token was sent: pass --token-file FILE or set FGD_TOKEN_FILE"}},
		{name: "with the read token", args: []string{"--server", locked.url, "--token-file", locked.readFile}, wantOut: []string{"dc1"}},
		{name: "token from the environment", args: []string{"--server", locked.url}, env: locked.tokenFile, wantOut: []string{"dc1"}},
		{name: "missing token file", args: []string{"--server", d.url, "--token-file", "/nonexistent/token"}, wantCode: 1,
			wantErr: []string{"/nonexistent/token does not exist"}},
		{name: "bad server", args: []string{"--server", "ftp://x"}, wantCode: 2, wantErr: []string{"not an http:// or https:// address", "Usage: fgd status"}},
		{name: "argument", args: []string{"dc1"}, wantCode: 2, wantErr: []string{`unexpected argument "dc1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tokenFileEnv, tt.env)
			var stdout, stderr bytes.Buffer
			code := cmdStatus(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.wantCode, stderr.String())
			}
			assertInOrder(t, "stdout", stdout.String(), tt.wantOut)
			assertInOrder(t, "stderr", stderr.String(), tt.wantErr)
			for _, s := range tt.notWantOut {
				if strings.Contains(stdout.String(), s) {
					t.Errorf("stdout holds %q:\n%s", s, stdout.String())
				}
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	d := newTestDaemon(t, false)
	var stdout, stderr bytes.Buffer
	if code := cmdStatus([]string{"--server", d.url, "--output", "json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var list httpapi.FabricList
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(list.Fabrics) != 3 || list.Index == 0 || list.Fabrics[0].Resources["VPC"] != 2 || list.Fabrics[2].LastError == "" {
		t.Errorf("JSON %+v", list)
	}
}

func TestStatusTableFormatting(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	var b bytes.Buffer
	writeStatusTable(&b, []httpapi.FabricView{
		{Name: "a", State: "idle", LastSuccess: ago(12 * time.Second)},
		{Name: "b", State: "idle", Suspended: true, LastSuccess: ago(3 * time.Hour), LastError: "line one\nline two " + strings.Repeat("x", 200)},
		{Name: "c", State: "suspended", Suspended: true, LastSuccess: ago(80 * time.Hour), Unmanaged: 4},
		{Name: "d", LastSuccess: ago(-time.Minute)},
	}, now)
	out := b.String()
	for _, want := range []string{"12s ago", "idle (suspended)", "3h ago", "line one line two xxx", "…", "3d ago", "just now"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "suspended (suspended)") || strings.Count(out, "\n") != 5 || strings.Contains(out, " \n") {
		t.Errorf("table:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "RESOURCES  UNMANAGED  LAST ERROR") || strings.Join(strings.Fields(lines[3]), " ") != "c suspended local 3d ago 0 4" {
		t.Errorf("the unmanaged column:\n%s", out)
	}
	if got := strings.Join(strings.Fields(lines[4]), " "); got != "d - local just now 0 0" {
		t.Errorf("a fabric without state or revision: %q", got)
	}
	b.Reset()
	writeStatusTable(&b, nil, now)
	if b.String() != "no fabrics configured\n" {
		t.Errorf("empty table: %q", b.String())
	}
}

// assertInOrder checks that every string of want is in s, in that order.
func assertInOrder(t *testing.T, what, s string, want []string) {
	t.Helper()
	rest := s
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (or not in order):\n%s", what, w, s)
			return
		}
		rest = rest[i+len(w):]
	}
}

// A SIGNER column appears when a fabric verifies commit signatures.
func TestStatusTableSigner(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	writeStatusTable(&b, []httpapi.FabricView{
		{Name: "a", State: "idle", Revision: "0123456789abcdef", Signer: "Alice Operator <alice@example.org> (openpgp key 179896862361EB17)"},
		{Name: "b", State: "idle"},
	}, now)
	lines := strings.Split(b.String(), "\n")
	if got := strings.Join(strings.Fields(lines[0]), " "); got != "FABRIC STATE REVISION SIGNER LAST SUCCESS RESOURCES UNMANAGED LAST ERROR" {
		t.Errorf("header %q", got)
	}
	if !strings.Contains(lines[1], "0123456789ab  Alice Operator <alice@example.org> (openpgp key 17989686236…") {
		t.Errorf("signed fabric: %q", lines[1])
	}
	if got := strings.Join(strings.Fields(lines[2]), " "); got != "b idle - - never 0 0" {
		t.Errorf("fabric without a signer: %q", got)
	}
}
