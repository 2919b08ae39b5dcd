package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/faultproxy"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The git source's failures are the fabric's state on the real daemon:
// once synced, a remote that goes down, a password file that goes wrong,
// and a repository that does not exist each show in GET
// /api/v1/fabrics/{name} (last_error, error_class, remediation), in
// /readyz (503, the fabric named with the reason) and in fgd status, from
// the next head checks on — no sync has to fail first — and each fabric is
// healthy again after the fix, without a restart or a push.
func TestDaemonGitSourceFailuresAreTheFabricsState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	for _, name := range []string{"down.git", "badpass.git"} {
		gittest.NewRemote(t, dir, name, "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	}
	srv := gittest.NewHTTPServer(t, dir, "git", "right-pass")
	proxy := startProxy(t, strings.TrimSuffix(strings.TrimPrefix(srv.URL(""), "http://"), "/"))
	pwOK := gittest.WriteSecret(t, dir, "pw-ok", "right-pass")
	pwBad := gittest.WriteSecret(t, dir, "pw-bad", "right-pass")
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	// Short intervals for badpass and missing; down polls every 3 s, so the
	// remote is back before five failed checks open its circuit (which
	// would hold the recovery for the 60 s open window).
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: down
    source:
      git: {url: %q, branch: main, path: fgd, interval: 3s, push: true, auth: {username: git, password_file: %s}}
  - name: badpass
    source:
      git: {url: %q, branch: main, path: fgd, interval: 1s, push: true, auth: {username: git, password_file: %s}}
  - name: missing
    source:
      git: {url: %q, branch: main, path: fgd, interval: 1s, push: true, auth: {username: git, password_file: %s}}
`, port, "http://"+proxy.Addr()+"/down.git", pwOK, srv.URL("badpass.git"), pwBad, srv.URL("missing.git"), pwOK)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	// Both read zero values while the daemon is not serving yet.
	fabric := func(name string) httpapi.FabricView {
		var v httpapi.FabricView
		if code, b := d.Get("/api/v1/fabrics/" + name); code == 200 {
			if err := json.Unmarshal([]byte(b), &v); err != nil {
				t.Fatalf("GET /api/v1/fabrics/%s: %v in %s", name, err, b)
			}
		}
		return v
	}
	readyz := func() (int, map[string]string) {
		code, b := d.Get("/readyz")
		var body struct {
			Fabrics []httpapi.FabricReadiness `json:"fabrics"`
		}
		if code != 0 {
			if err := json.Unmarshal([]byte(b), &body); err != nil {
				t.Fatalf("/readyz body %q: %v", b, err)
			}
		}
		unready := map[string]string{}
		for _, f := range body.Fabrics {
			if !f.Ready {
				unready[f.Fabric] = f.Reason
			}
		}
		return code, unready
	}
	healthy := func(name string) bool {
		v := fabric(name)
		_, unready := readyz()
		_, named := unready[name]
		return v.State == "idle" && v.LastError == "" && v.ErrorClass == "" && v.LastSuccess != nil && !named
	}
	// failing waits until the API and /readyz both show name's failure of
	// class, with a remediation holding fix.
	failing := func(name, class, fix string) {
		t.Helper()
		d.WaitFor(name+" failing ("+class+") in the API and /readyz", daemonWait, func() bool {
			v := fabric(name)
			code, unready := readyz()
			return v.State == "failed" && v.ErrorClass == class && strings.Contains(v.Remediation, fix) &&
				code == 503 && strings.Contains(unready[name], class) && strings.Contains(unready[name], fix)
		})
	}

	// The missing repository stalls from the start; the others sync.
	failing("missing", "stalled", "check that")
	d.WaitFor("down and badpass synced", daemonWait, func() bool { return healthy("down") && healthy("badpass") })

	// The password goes wrong, the remote goes down.
	if err := os.WriteFile(pwBad, []byte("wrong-pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := proxy.SetFault(faultproxy.Refuse, faultproxy.Options{}); err != nil {
		t.Fatal(err)
	}
	failing("badpass", "stalled", "check the credentials")
	// A connection busy when the idle ones are dropped stays open: drop
	// them until the head check needs a new one.
	d.WaitFor("down failing in the API", daemonWait, func() bool {
		srv.DropIdleConns()
		return fabric("down").ErrorClass == "transient"
	})
	failing("down", "transient", "reachable")
	var out, errb strings.Builder
	if rc := dispatch([]string{"status", "--server", d.Base}, &out, &errb); rc != 0 {
		t.Fatalf("fgd status = %d %s", rc, errb.String())
	}
	for _, want := range []string{"badpass  failed", "stalled: git", "transient: git", "missing  failed"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("fgd status lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(d.Log()+out.String(), "wrong-pass") {
		t.Error("the password reached the log or fgd status")
	}

	// The fixes: the password file, the remote back, the repository made.
	if err := os.WriteFile(pwBad, []byte("right-pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := proxy.SetFault(faultproxy.None, faultproxy.Options{}); err != nil {
		t.Fatal(err)
	}
	gittest.NewRemote(t, dir, "missing.git", "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	d.WaitFor("every fabric healthy again", daemonWait, func() bool {
		return healthy("down") && healthy("badpass") && healthy("missing")
	})
	if code, unready := readyz(); code != 200 {
		t.Errorf("/readyz = %d %v after the fixes, want 200", code, unready)
	}
}

// startProxy runs a fault proxy in front of backend until the test ends.
func startProxy(t *testing.T, backend string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = p.Close(); <-done })
	return p
}

// /readyz on the real daemon names, with the reason, a fabric whose last
// sync stalled (its FGD does not exist) and one that never synced (its sink
// command fails), while a healthy fabric beside them is ready.
func TestDaemonReadyzNamesStalledAndNeverSynced(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: ghost
    source:
      dir: {path: ghost, debounce: 20ms}
  - name: broken
    source:
      dir: {path: broken, debounce: 20ms}
    sinks:
      - exec: {command: [sh, -c, 'echo the controller is down >&2; exit 3']}
  - name: fine
    source:
      dir: {path: fine, debounce: 20ms}
`, port)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dropVPC(t, filepath.Join(dir, "broken"), "vpc-1")
	dropVPC(t, filepath.Join(dir, "fine"), "vpc-1")
	d := daemontest.Start(t, bin, dir, cfg, port)
	var last string
	d.WaitFor("/readyz naming ghost and broken", daemonWait, func() bool {
		code, b := d.Get("/readyz")
		var body struct{ Fabrics []httpapi.FabricReadiness }
		if code != 503 || json.Unmarshal([]byte(b), &body) != nil {
			return false
		}
		last = b
		reasons := map[string]string{}
		for _, f := range body.Fabrics {
			if !f.Ready {
				reasons[f.Fabric] = f.Reason
			}
		}
		_, fineNamed := reasons["fine"]
		return strings.HasPrefix(reasons["ghost"], "stalled: ") && strings.Contains(reasons["ghost"], "does not exist") &&
			strings.HasPrefix(reasons["broken"], "never synced (transient): ") && strings.Contains(reasons["broken"], "the controller is down") &&
			!fineNamed
	})
	t.Logf("/readyz: %s", last)
}
