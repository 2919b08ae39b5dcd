package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// wiringCorpus are the corpus files the wired fabric is built from: a
// switch, servers, and a Connection of every documented type. Documents
// fgd rejects (old fields, kinds it does not manage) go to unmanaged/, so
// links name devices with no resource: the picture marks them.
var wiringCorpus = []string{
	"docs__docs__user-guide__devices.md__L16__Switch.yaml",
	"fabric__config__samples__collapsedcore.vlab.gen.yaml",
	"das-boot__scripts__ignition_files__wiring.yaml",
	"docs__docs__user-guide__connections.md__L23__unbundled.yaml",
	"docs__docs__user-guide__connections.md__L42__bundled.yaml",
	"docs__docs__user-guide__connections.md__L67__eslag.yaml",
	"docs__docs__user-guide__connections.md__L95__fabric.yaml",
	"docs__docs__user-guide__connections.md__L162__staticExternal.yaml",
	"docs__docs__user-guide__connections.md__L221__gateway.yaml",
	"docs@4065c95__docs__user-guide__connections.md__L66__mclag-v1alpha2.yaml",
	"docs@4065c95__docs__user-guide__connections.md__L148__mclagDomain-v1alpha2.yaml",
	"docs@4065c95__docs__user-guide__connections.md__L204__management-v1alpha2.yaml",
}

// wiringCounts counts, from the managed files themselves, the Switch and
// Server resources and the links of the Connections: the numbers of nodes
// and edges the page's picture must have.
func wiringCounts(t *testing.T, root string) (switches, servers, links int) {
	t.Helper()
	count := func(dir string) []string {
		m, _ := filepath.Glob(filepath.Join(root, "managed", dir, "*.yaml"))
		return m
	}
	switches, servers = len(count("switches")), len(count("servers"))
	for _, f := range count("connections") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Spec map[string]map[string]any `yaml:"spec"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, body := range doc.Spec {
			for _, v := range body {
				switch v := v.(type) {
				case map[string]any: // link: one link
					if hasPort(v) {
						links++
					}
				case []any: // links, peerLinks, sessionLinks
					for _, l := range v {
						if m, ok := l.(map[string]any); ok && hasPort(m) {
							links++
						}
					}
				}
			}
		}
	}
	return switches, servers, links
}

// hasPort reports whether a link mapping has an endpoint with a port.
func hasPort(link map[string]any) bool {
	for _, ep := range link {
		if m, ok := ep.(map[string]any); ok {
			if _, ok := m["port"].(string); ok {
				return true
			}
		}
	}
	return false
}

const browserServer = `apiVersion: wiring.githedgehog.com/v1beta1
kind: Server
metadata:
  name: server-9
spec:
  description: added while the page is open
`

// The fabric page in a real browser, against the real daemon, for a fabric
// built from the corpus's wiring files: the wiring picture has a node per
// Switch and Server and an edge per Connection link, a resource opens with
// its normalized YAML and provenance, and a new server appears in the
// picture without a reload. With FGD_UPDATE_SCREENSHOT=1 the screenshots
// of the page and of the picture go to docs/.
func TestFabricPageWiringInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon and Chromium")
	}
	requireChromium(t)
	bin := daemontest.Build(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "wired")
	for _, f := range wiringCorpus {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "corpus", f))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, "raw", strings.ReplaceAll(f, "@", "-"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\nstate_dir: state\nfabrics:\n  - name: wired\n    source:\n      dir: {path: wired, debounce: 20ms}\n", port)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("the first sync", daemonWait, func() bool {
		_, f := d.Get("/api/v1/fabrics/wired")
		return strings.Contains(f, `"last_success"`) && strings.Contains(f, `"state":"idle"`)
	})
	switches, servers, links := wiringCounts(t, root)
	if switches == 0 || servers == 0 || links < 10 {
		t.Fatalf("the corpus gave %d switches, %d servers, %d links: too few to test the picture", switches, servers, links)
	}

	bctx := newBrowser(t)
	eval := func(what, expr string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	run := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, daemonWait)
		defer cancel()
		if _, err := chromedp.Run(sctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	countOf := func(sel string) int {
		t.Helper()
		n, err := strconv.Atoi(eval("counting "+sel, `String(document.querySelectorAll('`+sel+`').length)`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	run("loading the fabric page", chromedp.Steps(
		chromedp.Navigate(d.Base+"/fabrics/wired"),
		chromedp.WaitVisible(chromedp.CSS("#wiring")),
	))
	for sel, want := range map[string]int{
		`#wiring [data-kind="Switch"]`: switches,
		`#wiring [data-kind="Server"]`: servers,
		`#wiring [data-edge]`:          links,
	} {
		if got := countOf(sel); got != want {
			t.Errorf("%s: %d in the picture, want %d (from managed/)", sel, got, want)
		}
	}
	if countOf(`#wiring [data-kind="absent"]`) == 0 {
		t.Error("links name switches whose documents were rejected, but no device is marked absent")
	}
	if got := eval("reading an edge label", `Array.from(document.querySelectorAll('#wiring [data-connection="s5232-01--fabric--s5248-01"] text.port')).map(e => e.textContent).join(" ")`); got != "E1/1 E1/18 E1/2 E1/16" {
		t.Errorf("the fabric link's label is %q, want its ports", got)
	}

	// Live: a new server shows in the picture, in the same window.
	run("waiting for the event stream", pollTrue(`document.getElementById("live").textContent.includes("connected")`))
	eval("marking the window", `window.fgdNoReload = 7, ""`)
	if err := os.WriteFile(filepath.Join(root, "raw", "server-9.yaml"), []byte(browserServer), 0o644); err != nil {
		t.Fatal(err)
	}
	run("waiting for server-9 in the picture", pollTrue(
		`window.fgdNoReload === 7 && document.querySelector('#wiring [data-kind="Server"][data-name="server-9"]') !== null`))
	if got := countOf(`#wiring [data-kind="Server"]`); got != servers+1 {
		t.Errorf("after the drop, %d servers in the picture, want %d", got, servers+1)
	}
	page := screenshot(t, bctx, chromedp.CaptureScreenshot())
	wiring := screenshot(t, bctx, chromedp.Screenshot(chromedp.CSS("#wiring")))

	// A resource opens with its normalized YAML and provenance.
	run("opening the switch", chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('details[data-kind="Switch"]').open = true`),
		chromedp.Click(chromedp.CSS(`a[data-resource="managed/switches/s5248-01.yaml"]`)),
		chromedp.WaitVisible(chromedp.CSS("#resource-yaml")),
	))
	yamlText := eval("reading the YAML", `document.getElementById("resource-yaml").textContent`)
	for _, want := range []string{"kind: Switch", "name: s5248-01", "hnp.githedgehog.com/managed-by: fgd", "hnp.githedgehog.com/original-file:"} {
		if !strings.Contains(yamlText, want) {
			t.Errorf("the resource page lacks %q:\n%s", want, yamlText)
		}
	}

	for name, png := range map[string][]byte{"fabric-page.png": page, "wiring.png": wiring} {
		out := filepath.Join(t.TempDir(), name)
		if os.Getenv("FGD_UPDATE_SCREENSHOT") == "1" {
			out = filepath.Join("..", "..", "docs", name)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", out, len(png))
	}
}

// screenshot takes one, failing the test on an error.
func screenshot(t *testing.T, bctx context.Context, a chromedp.Action[[]byte]) []byte {
	t.Helper()
	sctx, cancel := context.WithTimeout(bctx, daemonWait)
	defer cancel()
	png, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return png
}

// newBrowser starts headless Chromium kept off the network (it talks to
// 127.0.0.1 only), for the life of the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
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
		chromedp.WindowSize(1600, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	// The first Run starts the browser, without a deadline: a step's
	// deadline would stop the whole browser.
	if _, err := chromedp.Run(bctx, chromedp.Steps()); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}
