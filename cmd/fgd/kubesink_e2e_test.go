package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/kubetest"
)

// The kubernetes sink on the real daemon against a real API server: VPCs dropped into the FGD
// reach the cluster; a subnet changed with kubectl is restored through the watch, without a sync
// being asked for; in detect-only mode the same change is a drift_detected event naming the
// object and the field, and stays; a resource removed from the FGD is pruned while an object fgd
// did not create stays; without force_conflicts, a field another manager holds is that object's
// conflict in GET /api/v1/syncs/{id} and the resource's last outcome in
// GET /api/v1/fabrics/{name}/resources; an emptied FGD deletes nothing.
func TestDaemonKubernetesSink(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon and an API server")
	}
	srv := kubetest.Start(t, kubetest.Options{})
	bin := daemontest.Build(t)
	dir := t.TempDir()
	port := daemontest.FreePort(t)
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte("kube-e2e-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	writeCfg := func(mode string, force bool) {
		body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
api: {token_file: %s}
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms, rescan_interval: 1h}
    sinks:
      - kubernetes: {kubeconfig_file: %s, prune: true, mode: %s, force_conflicts: %t}
`, port, tokenFile, srv.Kubeconfig, mode, force)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("apply", true)
	managed1 := dropVPC(t, filepath.Join(dir, "lab"), "vpc-1")
	managed2 := dropVPC(t, filepath.Join(dir, "lab"), "vpc-2")
	d := daemontest.Start(t, bin, dir, cfg, port)
	vpcs := func() string {
		return srv.Kubectl(t, nil, "get", "vpcs", "-n", "default", "-o", "jsonpath={.items[*].metadata.name}")
	}
	subnet := func() string {
		return srv.Kubectl(t, nil, "get", "vpc", "vpc-1", "-n", "default", "-o", "jsonpath={.spec.subnets.default.subnet}")
	}
	patches := 0
	patch := func() {
		patches++
		srv.Kubectl(t, nil, "patch", "vpc", "vpc-1", "-n", "default", "--type", "merge",
			"-p", fmt.Sprintf(`{"spec":{"subnets":{"default":{"subnet":"10.9.%d.0/24"}}}}`, patches))
	}
	d.WaitFor("both VPCs in the cluster", 2*time.Minute, func() bool { return vpcs() == "vpc-1 vpc-2" })
	if got := srv.Kubectl(t, nil, "get", "vpc", "vpc-1", "-n", "default", "-o", "jsonpath={.metadata.labels.hnp\\.githedgehog\\.com/fabric}"); got != "lab" {
		t.Errorf("ownership label %q, want lab", got)
	}

	// Nothing but the watch triggers a sync now (no files change, rescans are an hour apart). The
	// watch starts with the fabric and may not be up yet: a change it missed is made again.
	var patched time.Time
	d.WaitFor("the subnet changed by kubectl restored through the watch", 2*time.Minute, func() bool {
		if patched.IsZero() || time.Since(patched) > 10*time.Second {
			patch()
			patched = time.Now()
			return false
		}
		return subnet() == "10.0.1.0/24"
	})

	writeCfg("detect-only", true)
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("the reload", daemonWait, func() bool { return strings.Count(d.Log(), "config reloaded") >= 1 })
	events := streamEvents(t, d.Base)
	patch()
	ev := events.next(t, "drift_detected", "spec.subnets.default.subnet")
	if !strings.Contains(ev, "vpc.githedgehog.com/VPC/default/vpc-1") {
		t.Errorf("drift event %s does not name vpc-1", ev)
	}
	if got := subnet(); got != fmt.Sprintf("10.9.%d.0/24", patches) {
		t.Errorf("detect-only restored the subnet (%s)", got)
	}

	// Back to apply, without force: the subnet kubectl-patch now owns is that object's conflict, not
	// a failed sync, and the other changes go through.
	writeCfg("apply", false)
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.WaitFor("the second reload", daemonWait, func() bool { return strings.Count(d.Log(), "config reloaded") >= 2 })
	srv.Kubectl(t, []byte(strings.Replace(fmt.Sprintf(e2eVPC, "foreign"), "10.0.1.0", "10.0.7.0", 1)),
		"apply", "--server-side", "--field-manager=someone", "-n", "default", "-f", "-")
	if err := os.Remove(managed2); err != nil {
		t.Fatal(err)
	}
	sync := func() (int, string) {
		var out, errb strings.Builder
		rc := dispatch([]string{"sync", "lab", "--wait", "--server", d.Base, "--token-file", tokenFile}, &out, &errb)
		return rc, out.String() + errb.String()
	}
	rc, out := sync()
	if rc != 0 {
		t.Fatalf("fgd sync exited %d: %s", rc, out)
	}
	if got := vpcs(); got != "foreign vpc-1" {
		t.Errorf("after vpc-2 left the FGD: VPCs %q, want foreign vpc-1", got)
	}
	if got := subnet(); got != fmt.Sprintf("10.9.%d.0/24", patches) {
		t.Errorf("without force_conflicts the subnet kubectl-patch set was replaced by %s", got)
	}
	id := regexp.MustCompile(`[0-9a-f]{16}`).FindString(out)
	code, body := d.Get("/api/v1/syncs/" + id)
	if code != http.StatusOK || !strings.Contains(body, `"conflicts":1`) || !strings.Contains(body, "kubectl-patch") ||
		!strings.Contains(body, "vpc.githedgehog.com/VPC/default/vpc-1") {
		t.Errorf("GET /api/v1/syncs/%s: %d %s\nwant the sink's conflict on vpc-1 naming kubectl-patch", id, code, body)
	}
	var resources struct {
		Resources []struct {
			Name  string `json:"name"`
			Sinks []struct {
				Sink, Outcome, Message string
			} `json:"sinks"`
		} `json:"resources"`
	}
	code, body = d.Get("/api/v1/fabrics/lab/resources")
	if err := json.Unmarshal([]byte(body), &resources); code != http.StatusOK || err != nil || len(resources.Resources) != 1 {
		t.Fatalf("GET /api/v1/fabrics/lab/resources: %d %v %s", code, err, body)
	}
	if r := resources.Resources[0]; r.Name != "vpc-1" || len(r.Sinks) != 1 || r.Sinks[0].Sink != "kubernetes-0" ||
		r.Sinks[0].Outcome != "conflict" || !strings.Contains(r.Sinks[0].Message, "kubectl-patch") {
		t.Errorf("vpc-1's outcomes %+v, want kubernetes-0's conflict naming kubectl-patch", r)
	}
	// The fabric page marks the resource with it.
	if code, page := d.Get("/fabrics/lab"); code != http.StatusOK || !strings.Contains(page, `data-outcome="conflict"`) ||
		!strings.Contains(page, "kubectl-patch") {
		t.Errorf("GET /fabrics/lab: %d, want vpc-1 marked with its conflict naming kubectl-patch:\n%s", code, page)
	}

	if err := os.Remove(managed1); err != nil {
		t.Fatal(err)
	}
	if rc, out := sync(); rc == 0 || !strings.Contains(out, "refusing to prune every resource") {
		t.Errorf("emptied FGD: fgd sync exited %d: %s\nwant the prune guard", rc, out)
	}
	if got := vpcs(); got != "foreign vpc-1" {
		t.Errorf("after the FGD was emptied: VPCs %q, want foreign vpc-1 kept", got)
	}
}

// eventStream reads GET /api/v1/events of a daemon.
type eventStream struct {
	sc     *bufio.Scanner
	cancel context.CancelFunc
}

// streamEvents subscribes to the daemon's events from now on, for at most a few minutes.
func streamEvents(t *testing.T, base string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/events: %s", resp.Status)
	}
	return &eventStream{sc: bufio.NewScanner(resp.Body), cancel: cancel}
}

// next returns the data of the next event named name whose data contains want.
func (e *eventStream) next(t *testing.T, name, want string) string {
	t.Helper()
	current := ""
	for e.sc.Scan() {
		line := e.sc.Text()
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			current = ev
			continue
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && current == name && strings.Contains(data, want) {
			return data
		}
	}
	t.Fatalf("no %s event with %q: %v", name, want, e.sc.Err())
	return ""
}
