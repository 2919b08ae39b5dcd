package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/reconciler"
)

// auditSyncs returns the audit records of the syncs of fabric.
func auditSyncs(t *testing.T, stateDir, fabric string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(stateDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if e["action"] == "sync" && e["fabric"] == fabric {
			out = append(out, e)
		}
	}
	return out
}

// publishedTrees returns the "published tree" lines of the daemon's log.
func publishedTrees(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `"msg":"published tree"`) {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// The daemon's start is one sync per fabric, triggered once its source
// watches, and it sees every file present at start, even files written an
// instant before (the demo of `make run`): /readyz turns ready only once
// that sync has ingested and published them all, and the directory sink
// never publishes an empty tree.
func TestStartupIsOneSyncAndPublishesNoEmptyTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	// The default debounce (and so the default settle time) on purpose.
	cfg, port := daemontest.Config(t, dir, `fabrics:
  - name: lab
    source:
      dir: {path: lab, rescan_interval: 1h}
    sinks:
      - directory: {path: published, prune: true}
`)
	const inRaw, inManaged = 5, 3
	var want []string
	for i := range inManaged {
		name := fmt.Sprintf("vpc-m%d", i)
		p := filepath.Join(dir, "lab", "managed", "vpcs", name+".yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf(e2eVPC, name)), 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	for i := range inRaw {
		name := fmt.Sprintf("vpc-r%d", i)
		dropVPC(t, filepath.Join(dir, "lab"), name)
		want = append(want, name)
	}

	d := daemontest.Start(t, bin, dir, cfg, port)
	// From the first answer on, /readyz is 503 until the startup sync has
	// ingested and published everything.
	d.WaitFor("/readyz 200", 2*time.Minute, func() bool {
		code, _ := d.Get("/readyz")
		return code == 200
	})
	for _, name := range want {
		if !fileExists(filepath.Join(dir, "lab", "managed", "vpcs", name+".yaml")) {
			t.Errorf("ready, but %s is not in managed/", name)
		}
		if !fileExists(filepath.Join(dir, "published", "current", "vpcs", name+".yaml")) {
			t.Errorf("ready, but %s is not published", name)
		}
	}

	// A sync that was still to come would have been triggered by now; wait
	// out a few debounce periods to let it show.
	time.Sleep(2 * time.Second)
	syncs := auditSyncs(t, filepath.Join(dir, "state"), "lab")
	if len(syncs) != 1 {
		t.Fatalf("%d syncs at startup, want exactly one: %v", len(syncs), syncs)
	}
	if actor := syncs[0]["actor"]; actor != "startup" {
		t.Errorf("the startup sync's actor = %q, want startup", actor)
	}
	changes, _ := syncs[0]["changes"].(map[string]any)
	if files := changes["files"]; files != float64(inRaw) {
		t.Errorf("the startup sync took %v files, want %d", files, inRaw)
	}
	trees := publishedTrees(t, d.Log())
	if len(trees) != 1 {
		t.Fatalf("%d trees published at startup, want one: %v", len(trees), trees)
	}
	for _, tr := range trees {
		created, _ := tr["created"].(float64)
		updated, _ := tr["updated"].(float64)
		unchanged, _ := tr["unchanged"].(float64)
		if n := created + updated + unchanged; n != float64(len(want)) {
			t.Errorf("a published tree holds %v resources, want %d: %v", n, len(want), tr)
		}
	}
}

// Before the configuration loaded at start is applied, the reconciler knows
// no fabric: readiness must not read that as "no fabrics, ready", but report
// every configured fabric (less the suspended ones) as starting.
func TestReadinessBeforeTheFabricsStarted(t *testing.T) {
	reg, err := resource.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reconciler.New(reconciler.Options{Registry: reg, Store: store, Metrics: reconciler.NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{rec: rec}
	d.cur.Store(&config.Config{Fabrics: []config.Fabric{{Name: "lab"}, {Name: "off", Suspended: true}}})
	got := d.readiness()
	if len(got) != 1 || got[0].Fabric != "lab" || got[0].Ready || got[0].Reason != "starting" {
		t.Fatalf("readiness before start = %+v, want lab not ready (starting)", got)
	}
	d.started.Store(true)
	if got := d.readiness(); len(got) != 0 {
		t.Fatalf("readiness once started, with no fabric running = %+v, want none", got)
	}
}
