package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// chromiumPath is Debian's chromium; `make test-browser` installs it.
const chromiumPath = "/usr/bin/chromium"

// The status page in a real browser, against the real daemon: it lists the
// fabrics, a git fabric whose remote is down with its failure's class and
// remediation, and a sync triggered through the API shows on the page live,
// without a reload. The screenshot goes to docs/status-page.png with
// FGD_UPDATE_SCREENSHOT=1.
func TestStatusPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon and Chromium")
	}
	requireChromium(t)
	const token = "op-br0wser-t3st-token"
	bin := daemontest.Build(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := daemontest.FreePort(t)
	closed := daemontest.FreePort(t) // nothing listens there: dc-lab's remote is down
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
api: {token_file: %s}
fabrics:
  - name: dc-east
    source:
      dir: {path: dc-east, debounce: 20ms}
    sinks:
      - directory: {path: published-east}
  - name: dc-west
    source:
      dir: {path: dc-west, debounce: 20ms}
    sinks:
      - directory: {path: published-west}
  - name: dc-lab
    source:
      git: {url: "http://127.0.0.1:%d/lab.git", branch: main, path: fgd, interval: 1s}
`, port, tokenFile, closed)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, filepath.Join(dir, "dc-east"), "vpc-1")
	dropVPC(t, filepath.Join(dir, "dc-east"), "vpc-2")
	dropVPC(t, filepath.Join(dir, "dc-west"), "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz naming dc-lab's source only", daemonWait, func() bool {
		c, b := d.Get("/readyz")
		var body struct{ Fabrics []httpapi.FabricReadiness }
		if c != 503 || json.Unmarshal([]byte(b), &body) != nil {
			return false
		}
		var unready []string
		for _, f := range body.Fabrics {
			if !f.Ready {
				unready = append(unready, f.Fabric+": "+f.Reason)
			}
		}
		return len(unready) == 1 && strings.HasPrefix(unready[0], "dc-lab: source failing (transient)")
	})
	d.WaitFor("both dir fabrics synced", daemonWait, func() bool {
		_, east := d.Get("/api/v1/fabrics/dc-east")
		_, west := d.Get("/api/v1/fabrics/dc-west")
		return strings.Contains(east, `"VPC":2`) && strings.Contains(west, `"VPC":1`) &&
			strings.Contains(west, `"state":"idle"`) && strings.Contains(west, `"last_success"`)
	})

	// chromedp's quiet defaults plus the flags that keep Chromium off the
	// network: it talks to 127.0.0.1 only.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 800),
	)
	// The browser lives as long as bctx; each step below gets its own
	// deadline (chromedp stops the whole browser at the first call's).
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	step := func(what string, d time.Duration, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Steps()); err != nil { // starts the browser without a deadline
			t.Fatalf("starting Chromium: %v", err)
		}
		sctx, cancel := context.WithTimeout(bctx, d)
		defer cancel()
		if _, err := chromedp.Run(sctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, expr string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}

	// Load the page, see both fabrics, mark the window (a reload would
	// lose the mark), and wait for the event stream to be connected.
	step("loading the status page", daemonWait, chromedp.Steps(
		chromedp.Navigate(d.Base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#fabrics")),
	))
	table := eval("reading the table", `document.getElementById("fabrics-body").innerText`)
	for _, name := range []string{"dc-east", "dc-west", "dc-lab"} {
		if !strings.Contains(table, name) {
			t.Errorf("the page's table lacks %s:\n%s", name, table)
		}
	}
	lab := eval("reading dc-lab's row", `document.querySelector('tr[data-fabric="dc-lab"]').innerText`)
	for _, want := range []string{"failed", "transient: git ", "http://127.0.0.1:", "Fix: check that"} {
		if !strings.Contains(lab, want) {
			t.Errorf("dc-lab's row lacks %q:\n%s", want, lab)
		}
	}
	eval("marking the window", `window.fgdNoReload = 42, ""`)
	westCount := `(() => { const c = document.querySelector('tr[data-fabric="dc-west"] td[data-resources]'); return c ? c.dataset.resources : ""; })()`
	if before := eval("reading dc-west's count", westCount); before != "1" {
		t.Fatalf("dc-west shows %q resources before the sync, want 1", before)
	}
	step("waiting for the page's event stream", daemonWait, chromedp.Steps(
		pollTrue(`document.getElementById("live").textContent.includes("connected")`),
	))

	// A new VPC, and a sync through the API. The directory watcher may
	// have started one already: 409 is as good as 202 here.
	dropVPC(t, filepath.Join(dir, "dc-west"), "vpc-9")
	req, err := http.NewRequestWithContext(t.Context(), "POST", d.Base+"/api/v1/fabrics/dc-west/sync", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusConflict {
		t.Fatalf("POST /api/v1/fabrics/dc-west/sync = %d, want 202 (or 409 while the watcher's sync runs)", resp.StatusCode)
	}

	// The row changes in place: same window (the mark is still there), the
	// new count and an idle state.
	sctx, cancel := context.WithTimeout(bctx, daemonWait)
	defer cancel()
	if _, err := chromedp.Run(sctx, pollTrue(`(() => {
		const row = document.querySelector('tr[data-fabric="dc-west"]');
		return window.fgdNoReload === 42 && row !== null &&
			row.querySelector('td[data-resources]').dataset.resources === "2" &&
			row.querySelector('[data-state]').textContent === "idle";
	})()`)); err != nil {
		t.Fatalf("the page did not show dc-west's new resource without a reload (%v); the table now:\n%s",
			err, eval("reading the table", `document.getElementById("fabrics-body").outerHTML`))
	}
	if got := eval("reading the live status", `document.getElementById("live").textContent`); !strings.HasPrefix(got, "Live: updated") {
		t.Errorf("the live status says %q, want \"Live: updated …\"", got)
	}

	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(t.TempDir(), "status-page.png")
	if os.Getenv("FGD_UPDATE_SCREENSHOT") == "1" {
		out = filepath.Join("..", "..", "docs", "status-page.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
}

// pollTrue waits (up to daemonWait, or its context's deadline) for expr to
// be true in the page: a bound for a hang, not a timing target.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(daemonWait))
}

// requireChromium skips a browser test without Chromium, except in CI,
// where a missing browser fails: there the browser tests must run.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("no Chromium at %s (%v): install it with `apt-get install -y chromium`, or run `make test-browser`, which does", chromiumPath, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: the browser test must run in CI)")
		}
		t.Skip(msg)
	}
}
