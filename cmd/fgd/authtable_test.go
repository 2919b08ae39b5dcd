package main

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// authRow is one row of the endpoint table under "Tokens" in the
// operations guide: "GET /api/v1/fabrics" needs "read".
type authRow struct {
	method, path, need string
}

var authRowRE = regexp.MustCompile("^\\| `(GET|POST) (/[^`]*)` \\| (none|read|operator|operator when set) \\|$")

// authTable parses the endpoint table of the operations guide.
func authTable(t *testing.T) []authRow {
	t.Helper()
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "| Endpoint | API token |\n|---|---|\n")
	if !ok {
		t.Fatalf("%s: no table with the header | Endpoint | API token |", operationsDoc)
	}
	var rows []authRow
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		m := authRowRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s: auth table row %q is not | `METHOD /path` | none, read, operator or operator when set |", operationsDoc, line)
			continue
		}
		rows = append(rows, authRow{method: m[1], path: m[2], need: m[3]})
	}
	if len(rows) < 10 {
		t.Fatalf("%s: only %d rows in the auth table", operationsDoc, len(rows))
	}
	return rows
}

// routePatterns lists the patterns of internal/httpapi's routes, from
// the `pattern: "..."` fields of its Go files; the webhooks, whose own
// secrets the table does not cover, are left out.
func routePatterns(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../internal/httpapi/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if id, ok := kv.Key.(*ast.Ident); !ok || id.Name != "pattern" {
				return true
			}
			lit, ok := kv.Value.(*ast.BasicLit)
			if !ok {
				return true // built from parts: the webhooks
			}
			p, err := strconv.Unquote(lit.Value)
			if err == nil && !strings.Contains(p, " /hooks/") {
				out = append(out, strings.Replace(p, "/{$}", "/", 1))
			}
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("only %d route patterns found in internal/httpapi: is the parser broken?", len(out))
	}
	return out
}

// TestAuthTable calls every endpoint of the operations guide's auth table on
// two real daemons — one with both token files, one with none — without a
// token, with the read token and with the operator token, and compares
// whether the daemon let each call through (any answer but 401 and 403)
// with what the table says. Every route of the server must have a row.
func TestAuthTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	rows := authTable(t)
	documented := map[string]bool{}
	for _, r := range rows {
		documented[r.method+" "+r.path] = true
	}
	for _, p := range routePatterns(t) {
		if !documented[p] {
			t.Errorf("route %q has no row in the auth table of %s", p, operationsDoc)
		}
	}

	bin := daemontest.Build(t)
	const opToken, readToken = "op-t0ken-for-the-table", "read-t0ken-for-the-table"
	withTokens := startAuthDaemon(t, bin, opToken, readToken)
	open := startAuthDaemon(t, bin, "", "")
	type call struct {
		d     *daemontest.Daemon
		name  string // what the call is, for the message
		token string
		pass  func(need string) bool
	}
	calls := []call{
		{withTokens, "with both token files set, no token", "", func(need string) bool { return need == "none" }},
		{withTokens, "with both token files set, the read token", readToken, func(need string) bool { return need == "none" || need == "read" }},
		{withTokens, "with both token files set, the operator token", opToken, func(string) bool { return true }},
		{open, "with no token file, no token", "", func(need string) bool { return need != "operator" }},
	}
	for _, r := range rows {
		path := strings.NewReplacer("{name}", "lab", "{id}", "0000000000000000").Replace(r.path)
		for _, c := range calls {
			code := authCall(t, c.d.Base, r.method, path, c.token)
			passed := code != http.StatusUnauthorized && code != http.StatusForbidden
			if want := c.pass(r.need); passed != want {
				t.Errorf("%s %s %s: %d, but the table says %q", r.method, r.path, c.name, code, r.need)
			}
		}
	}
}

// startAuthDaemon runs the daemon with one dir fabric, lab, and the given
// tokens in api.token_file and api.read_token_file ("" leaves one unset).
func startAuthDaemon(t *testing.T, bin, opToken, readToken string) *daemontest.Daemon {
	t.Helper()
	dir := t.TempDir()
	api := ""
	for key, tok := range map[string]string{"token_file": opToken, "read_token_file": readToken} {
		if tok == "" {
			continue
		}
		f := filepath.Join(dir, key)
		if err := os.WriteFile(f, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		api += fmt.Sprintf("%s: %s, ", key, f)
	}
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\n", port)
	if api != "" {
		body += "api: {" + strings.TrimSuffix(api, ", ") + "}\n"
	}
	body += "fabrics:\n  - name: lab\n    source:\n      dir: {path: lab, debounce: 20ms}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, filepath.Join(dir, "lab"), "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })
	return d
}

// authCall makes one request and returns its status; a stream's answer is
// closed after its headers.
func authCall(t *testing.T, base, method, path, token string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
