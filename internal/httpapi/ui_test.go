package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/state"
)

// page GETs path with an optional bearer token and returns the status,
// the Content-Type and the body.
func (e *apiEnv) page(t *testing.T, path, token string) (int, string, string) {
	t.Helper()
	status, h, body := e.call(t, "GET", path, token)
	return status, h.Get("Content-Type"), body
}

// mustContain fails for every want that body lacks.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// attrRef finds every src= and href= of a page.
var attrRef = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

func TestStatusPageListsFabrics(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	status, ctype, body := e.page(t, "/", "")
	if status != http.StatusOK || ctype != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %s\n%s", status, ctype, body)
	}
	tests := []struct {
		name  string
		wants []string
	}{
		{"accessible markup", []string{`<meta name="viewport"`, `<html lang="en">`, "<table", "<caption>", `<th scope="col">State</th>`,
			`<th scope="row"><a href="/fabrics/dc1">dc1</a></th>`, `role="status"`}},
		{"every fabric links to its page", []string{`href="/fabrics/dc1"`, `href="/fabrics/dc2"`, `href="/fabrics/lab"`}},
		{"states", []string{`<span class="state good" data-state>idle</span>`, `<span class="state bad" data-state>failed</span>`}},
		{"short revision with the full one in its title", []string{`<code title="0123456789abcdef0123">0123456789ab</code>`}},
		{"resources per kind", []string{`<span class="kind">Switch</span> 1`, `<span class="kind">VPC</span> 2`, `data-resources="3"`,
			`<span class="kind">Server</span> 1`}},
		{"last sync and its age", []string{`datetime="2025-03-01T12:00:00Z"`, "d ago", "(completed)", "never"}},
		{"last error with its remediation", []string{"clone https://git.example/x.git: authentication required",
			"<strong>Fix:</strong> check fabrics[1].source.git.auth"}},
		{"circuit states", []string{`<th scope="col">Circuits</th>`, `data-circuits="2"`,
			`<li><span class="target">git:https://git.example/dc1.git</span> <span class="state bad">open</span></li>` +
				`<li><span class="target">sink:dc1/exec-0</span> <span class="state good">closed</span></li>`}},
		{"unmanaged files", []string{`<th scope="col">Unmanaged</th>`, `<td data-unmanaged="2"><a href="/fabrics/dc1#unmanaged-h"><strong>2</strong></a></td>`,
			`<td data-unmanaged="0"><span class="none">0</span></td>`}},
		{"own assets only", []string{`href="/static/style.css"`, `src="/static/live.js"`}},
		{"live parts", []string{`id="fabrics-body" data-live`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustContain(t, "GET /", body, tt.wants...) })
	}
	// No CDN, no external fonts: every reference stays on the daemon.
	for _, m := range attrRef.FindAllStringSubmatch(body, -1) {
		if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
			t.Errorf("GET / references %q, off the daemon", m[1])
		}
	}
	// Fabric order is the store's (by name).
	if i, j := strings.Index(body, `data-fabric="dc1"`), strings.Index(body, `data-fabric="lab"`); i < 0 || j < i {
		t.Errorf("fabrics out of order: dc1 at %d, lab at %d", i, j)
	}
}

func TestStatusPageAssets(t *testing.T) {
	e := newAPIEnv(t, envConfig{readToken: true})
	tests := []struct {
		path      string
		wantType  string
		wantParts []string
	}{
		{"/static/style.css", "text/css; charset=utf-8", []string{".state.bad"}},
		{"/static/live.js", "text/javascript; charset=utf-8", []string{`new EventSource("/api/v1/events")`, `"sync_completed"`,
			`"sync_failed"`, `"fabric_created"`, "data-live"}},
	}
	for _, tt := range tests {
		// Assets are open even with a read token: they hold no data.
		status, ctype, body := e.page(t, tt.path, "")
		if status != http.StatusOK || ctype != tt.wantType {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, status, ctype, tt.wantType)
		}
		mustContain(t, tt.path, body, tt.wantParts...)
	}
	if status, _, _ := e.page(t, "/static/nope.js", ""); status != http.StatusNotFound {
		t.Errorf("GET /static/nope.js = %d, want 404", status)
	}
}

func TestStatusPageEscapes(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	const evil = `<script>alert("x")</script>`
	for _, f := range []state.Fabric{
		{Name: "evil", State: state.FabricFailed, LastError: "parse raw/a.yaml: " + evil, Remediation: "fix " + `<img src=x onerror=alert(1)>`},
		{Name: `q"><b>`, State: state.FabricFailed, LastError: "x", Remediation: `<img src=x onerror=alert(1)>`},
	} {
		if err := e.store.UpsertFabric(f); err != nil {
			t.Fatal(err)
		}
	}
	id, err := e.ctl.Sync("evil", "api "+evil)
	if err != nil {
		t.Fatal(err)
	}
	e.ctl.step(t, id, state.SyncFailed, "sink exec: "+evil, "check "+evil)

	for _, path := range []string{"/", "/fabrics/evil", "/fabrics/" + `%3Cscript%3E`} {
		_, _, body := e.page(t, path, "")
		for _, bad := range []string{"<script>alert", "<img src=x", `"><b>`} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s holds %q unescaped", path, bad)
			}
		}
		if strings.Count(body, "<script") != 1 {
			t.Errorf("GET %s has %d <script elements, want only live.js", path, strings.Count(body, "<script"))
		}
	}
	_, _, body := e.page(t, "/", "")
	mustContain(t, "GET /", body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "check &lt;script&gt;",
		"&lt;img src=x onerror=alert(1)&gt;", `href="/fabrics/q%22%3E%3Cb%3E"`, "q&#34;&gt;&lt;b&gt;")
	_, _, body = e.page(t, "/fabrics/evil", "")
	mustContain(t, "GET /fabrics/evil", body, "sink exec: &lt;script&gt;", "check &lt;script&gt;", "api &lt;script&gt;")
	if h := headerOf(t, e, "/"); !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET / headers %v: want a CSP with script-src 'self' and nosniff", h)
	}
}

// headerOf returns the headers of GET path.
func headerOf(t *testing.T, e *apiEnv, path string) http.Header {
	t.Helper()
	_, h, _ := e.call(t, "GET", path, "")
	return h
}

func TestStatusPageFabricSyncs(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	first, err := e.ctl.Sync("dc1", "webhook github")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []state.SyncState{state.SyncInitializing, state.SyncDiscovering, state.SyncProcessing, state.SyncSyncing, state.SyncReconciling} {
		e.ctl.step(t, first, st, "", "")
	}
	e.ctl.step(t, first, state.SyncCompleted, "", "")
	second, err := e.ctl.Sync("dc1", "api 127.0.0.1 token=ops-team")
	if err != nil {
		t.Fatal(err)
	}
	e.ctl.step(t, second, state.SyncInitializing, "", "")
	e.ctl.step(t, second, state.SyncFailed, "clone: authentication required", "check fabrics[0].source.git.auth")

	status, ctype, body := e.page(t, "/fabrics/dc1", "")
	if status != http.StatusOK || ctype != "text/html; charset=utf-8" {
		t.Fatalf("GET /fabrics/dc1 = %d %s\n%s", status, ctype, body)
	}
	tests := []struct {
		name  string
		wants []string
	}{
		{"header", []string{"<h1>Fabric <span", ">dc1</span>", `<code>0123456789abcdef0123</code>`, `<a href="/">All fabrics</a>`}},
		{"signer", []string{`<dt>Signed by</dt><dd data-signer>Alice Operator &lt;alice@example.org&gt; (openpgp key 179896862361EB17)</dd>`}},
		{"stage durations of the completed sync", []string{
			`<li><span class="stage">pending</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">initializing</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">discovering</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">processing</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">syncing</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">reconciling</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">completed</span></li>`,
			"<td>6.0s</td>"}},
		{"stage durations of the failed sync", []string{
			`<li><span class="stage">pending</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">initializing</span> <span class="dur">1.0s</span></li>` +
				`<li><span class="stage">failed</span></li>`, "<td>2.0s</td>"}},
		{"last sync's diff and sinks", []string{"Last sync <code>" + second + "</code>",
			"<td>2</td><td>1</td><td>0</td><td>7</td>", `<th scope="row">exec</th><td>applied</td><td>1</td>`, "<pre>configured 3</pre>"}},
		{"error with remediation", []string{"clone: authentication required", "<strong>Fix:</strong> check fabrics[0].source.git.auth"}},
		{"triggers", []string{"webhook github", "api 127.0.0.1 token=ops-team"}},
		{"unmanaged files with their reasons", []string{`<h2 id="unmanaged-h">Unmanaged files</h2>`, `data-unmanaged="2"`,
			"(the first 1 of 2)", `<th scope="row"><code>unmanaged/gateway.yaml</code></th>`,
			`<li>document 0, line 2: kind &#34;Gateway&#34; &lt;is not&gt; managed (hint: remove it)</li>`}},
		{"circuit states", []string{"<dt>Circuits</dt>", `<span class="target">git:https://git.example/dc1.git</span> <span class="state bad">open</span>`}},
		{"accessible markup", []string{`<meta name="viewport"`, "<caption>", `<th scope="col">Stages</th>`, `id="fabric-syncs" data-live`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustContain(t, "GET /fabrics/dc1", body, tt.wants...) })
	}
	// Newest first.
	if i, j := strings.Index(body, `data-sync="`+second+`"`), strings.Index(body, `data-sync="`+first+`"`); i < 0 || j < 0 || i > j {
		t.Errorf("syncs not newest first: %s at %d, %s at %d", second, i, first, j)
	}

	// A running sync: its current stage is "running".
	third, err := e.ctl.Sync("lab", "timer")
	if err != nil {
		t.Fatal(err)
	}
	e.ctl.step(t, third, state.SyncDiscovering, "", "")
	_, _, body = e.page(t, "/fabrics/lab", "")
	mustContain(t, "GET /fabrics/lab", body, `<span class="stage">discovering</span> <span class="dur">running</span>`,
		`<span class="state busy">discovering</span>`)

	// A fabric without syncs.
	_, _, body = e.page(t, "/fabrics/dc2", "")
	mustContain(t, "GET /fabrics/dc2", body, "No sync yet.", "authentication required", "None: every file was ingested.")
}

func TestStatusPageUnknownFabric(t *testing.T) {
	e := newAPIEnv(t, envConfig{})
	e.seed(t)
	tests := []struct {
		path string
		want string
	}{
		{"/fabrics/nope", "<code>nope</code>"},
		{"/fabrics/%3Cb%3E", "<code>&lt;b&gt;</code>"},
	}
	for _, tt := range tests {
		status, ctype, body := e.page(t, tt.path, "")
		if status != http.StatusNotFound || ctype != "text/html; charset=utf-8" {
			t.Errorf("GET %s = %d %s, want a 404 page", tt.path, status, ctype)
		}
		mustContain(t, tt.path, body, "<h1>Unknown fabric</h1>", tt.want, `<a href="/">`)
	}
	if status, _, _ := e.page(t, "/nope", ""); status != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", status)
	}
}

func TestStatusPageReadToken(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true, readToken: true})
	e.seed(t)
	tests := []struct {
		path, token string
		want        int
	}{
		{"/", "", http.StatusUnauthorized},
		{"/", "wrong", http.StatusUnauthorized},
		{"/", rdToken, http.StatusOK},
		{"/", opToken, http.StatusOK},
		{"/fabrics/dc1", "", http.StatusUnauthorized},
		{"/fabrics/dc1", rdToken, http.StatusOK},
		{"/fabrics/nope", "", http.StatusUnauthorized},
		{"/fabrics/nope", rdToken, http.StatusNotFound},
	}
	for _, tt := range tests {
		status, _, body := e.page(t, tt.path, tt.token)
		if status != tt.want {
			t.Errorf("GET %s with token %q = %d, want %d", tt.path, tt.token, status, tt.want)
		}
		if status == http.StatusUnauthorized && strings.Contains(body, "dc1") {
			t.Errorf("GET %s without a valid token leaks the fabrics: %s", tt.path, body)
		}
	}
	// Open reads without a read token.
	open := newAPIEnv(t, envConfig{operator: true})
	if status, _, _ := open.page(t, "/", ""); status != http.StatusOK {
		t.Errorf("GET / without a read token configured = %d, want 200", status)
	}
}

func TestStatusPageNoStore(t *testing.T) {
	// Without Options.State there is no page (as there is no API).
	s := New(Options{})
	url := serveHandler(t, s.Handler())
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET / without a store = %d, want 404", resp.StatusCode)
	}
}

func TestFormatHelpers(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{seconds(0.25), "250ms"},
		{seconds(2.44), "2.4s"},
		{seconds(185), "3m05s"},
		{seconds(-1), "0s"},
		{shortRevision("0123456789abcdef"), "0123456789ab"},
		{shortRevision("r1"), "r1"},
		{stateClass("failed"), "bad"},
		{stateClass("reconciling"), "busy"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}
