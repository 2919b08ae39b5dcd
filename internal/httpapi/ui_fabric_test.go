package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

func wireRes(kind, name, body string) *state.Resource {
	return &state.Resource{Kind: kind, Name: name, Body: []byte(body)}
}

// The picture has a node per Switch and Server, a marked node per device a
// link names without a resource, an outside node per one-ended link, and an
// edge per link of every connection type; the same resources give the same
// picture.
func TestBuildWiring(t *testing.T) {
	switches := []*state.Resource{
		wireRes("Switch", "spine-1", "spec:\n  role: spine\n"),
		wireRes("Switch", "leaf-1", "spec:\n  role: server-leaf\n"),
		wireRes("Switch", "leaf-2", "spec:\n  role: server-leaf\n"),
	}
	servers := []*state.Resource{wireRes("Server", "server-1", "spec: {}\n"), wireRes("Server", "server-2", "spec: {}\n")}
	conns := []*state.Resource{
		wireRes("Connection", "f", "spec:\n  fabric:\n    links:\n    - leaf: {port: leaf-1/E1/1, ip: 10.0.0.1/31}\n      spine: {port: spine-1/E1/1, ip: 10.0.0.0/31}\n    - leaf: {port: leaf-2/E1/1}\n      spine: {port: spine-1/E1/2}\n"),
		wireRes("Connection", "m", "spec:\n  mclag:\n    links:\n    - server: {port: server-1/enp1}\n      switch: {port: leaf-1/E1/5}\n    - server: {port: server-1/enp2}\n      switch: {port: leaf-2/E1/5}\n"),
		wireRes("Connection", "u", "spec:\n  unbundled:\n    link:\n      server: {port: server-2/enp1}\n      switch: {port: leaf-9/E1/7}\n"),
		wireRes("Connection", "d", "spec:\n  mclagDomain:\n    peerLinks:\n    - switch1: {port: leaf-1/E1/9}\n      switch2: {port: leaf-2/E1/9}\n    sessionLinks:\n    - switch1: {port: leaf-1/E1/10}\n      switch2: {port: leaf-2/E1/10}\n"),
		wireRes("Connection", "x", "spec:\n  staticExternal:\n    link:\n      switch: {port: leaf-1/E1/20, ip: 10.9.0.1/24, subnets: [10.99.0.0/24]}\n"),
		wireRes("Connection", "junk", "spec: [not, a, mapping]\n"),
	}
	w := buildWiring(switches, servers, conns)
	kinds := map[string]int{}
	for _, n := range w.Nodes {
		kinds[n.Kind]++
	}
	if want := map[string]int{wireSwitch: 3, wireServer: 2, wireAbsent: 1, wireExternal: 1}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("nodes by kind %v, want %v", kinds, want)
	}
	if w.Absent != 1 {
		t.Errorf("absent %d, want 1 (leaf-9)", w.Absent)
	}
	if len(w.Edges) != 2+2+1+2+1 {
		t.Errorf("%d edges, want 8: %+v", len(w.Edges), w.Edges)
	}
	layerY := map[string]int{}
	for _, n := range w.Nodes {
		layerY[n.Name] = n.Y
		if n.X < 0 || n.X+n.W > w.Width || n.Y+n.H > w.Height {
			t.Errorf("node %s at (%d,%d) outside the %dx%d picture", n.Name, n.X, n.Y, w.Width, w.Height)
		}
	}
	if !(layerY["x"] < layerY["spine-1"] && layerY["spine-1"] < layerY["leaf-1"] && layerY["leaf-1"] == layerY["leaf-9"] && layerY["leaf-1"] < layerY["server-1"]) {
		t.Errorf("layers out of order: %v", layerY)
	}
	var labels []string
	for _, e := range w.Edges {
		if e.Connection == "f" {
			if e.From != "spine-1" {
				t.Errorf("a fabric link goes down from the spine: %+v", e)
			}
			labels = append(labels, e.Label)
		}
	}
	if want := []string{"E1/1 – E1/1", "E1/2 – E1/1"}; !reflect.DeepEqual(labels, want) {
		t.Errorf("fabric links labelled %q, want %q (spine port – leaf port)", labels, want)
	}
	if again := buildWiring(switches, servers, conns); !reflect.DeepEqual(again, w) {
		t.Error("two layouts of the same resources differ")
	}
}

// The fabric page lists the resources by kind with links to their pages,
// and draws the wiring; a resource's page shows its YAML escaped; an
// unknown resource is a 404 that says so; the pages follow the read rule.
func TestStatusPageResources(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	lab := res("Server", "srv-1")
	lab.Body = []byte("kind: Server\nmetadata:\n  name: srv-1\n  annotations:\n    hnp.githedgehog.com/managed-by: fgd\nspec:\n  description: <script>x</script>\n")
	e.desired(t, "lab", "r1", lab)
	at := time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)
	if err := e.store.UpsertSync(state.Sync{ID: "dc1-t", Fabric: "dc1", State: state.SyncCompleted, Started: at, Finished: at.Add(3 * time.Second),
		Transitions: []state.Transition{{State: state.SyncPending, At: at}, {State: "processing", At: at.Add(time.Second)},
			{State: state.SyncCompleted, At: at.Add(3 * time.Second)}},
		Changes: []state.ResourceChange{{Kind: "VPC", Namespace: "default", Name: "vpc-1", Path: "managed/vpcs/vpc-1.yaml", Action: "update",
			Diff: " spec:\n-  vlan: 1\n+  vlan: <2>\n"}}}); err != nil {
		t.Fatal(err)
	}
	status, _, body := e.page(t, "/fabrics/dc1", "")
	if status != http.StatusOK {
		t.Fatalf("GET /fabrics/dc1 = %d", status)
	}
	mustContain(t, "GET /fabrics/dc1", body, `<details class="kind" data-kind="VPC">`, `href="/fabrics/dc1/managed/vpcs/vpc-1.yaml"`,
		`<svg id="wiring"`, `data-kind="Switch" data-name="leaf-1"`, `id="fabric-resources" data-live`, `<svg class="timeline"`, `data-stage="pending"`,
		`<details class="change" data-change="update" data-path="managed/vpcs/vpc-1.yaml">`, `<code>vpc-1</code>`,
		`<span class="del">-  vlan: 1</span>`, `<span class="add">&#43;  vlan: &lt;2&gt;</span>`)
	status, _, body = e.page(t, "/fabrics/lab/managed/servers/srv-1.yaml", "")
	if status != http.StatusOK {
		t.Fatalf("GET the resource = %d\n%s", status, body)
	}
	mustContain(t, "the resource page", body, `<pre id="resource-yaml" class="yaml">`, "&lt;script&gt;x&lt;/script&gt;",
		"<li><code>hnp.githedgehog.com/managed-by: fgd</code></li>", `href="/fabrics/lab"`)
	if strings.Contains(body, "<script>x") {
		t.Error("the resource's YAML reached the page unescaped")
	}
	if status, _, body := e.page(t, "/fabrics/lab/managed/servers/nope.yaml", ""); status != http.StatusNotFound || !strings.Contains(body, "Unknown resource") {
		t.Errorf("unknown resource: %d\n%s", status, body)
	}
	if status, _, body := e.page(t, "/fabrics/dc2", ""); status != http.StatusOK || strings.Contains(body, `<svg id="wiring"`) {
		t.Errorf("a fabric without wiring resources has no picture: %d", status)
	}
}

// An open circuit is a notice at the top of the index and of its fabric's
// page, not of another fabric's.
func TestStatusPageNotices(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	_, _, index := e.page(t, "/", "")
	mustContain(t, "GET /", index, `<li class="notice" data-notice="circuit-open"><strong>dc1</strong>: circuit open for git:https://git.example/dc1.git`)
	_, _, dc1 := e.page(t, "/fabrics/dc1", "")
	mustContain(t, "GET /fabrics/dc1", dc1, `data-notice="circuit-open"`, `id="notices" data-live`)
	if _, _, lab := e.page(t, "/fabrics/lab", ""); strings.Contains(lab, "data-notice=") {
		t.Error("lab's page shows dc1's notice")
	}
}

// Timelines share one scale: the longest sync fills the width, a shorter
// one is shorter, every timed stage gets a bar, and a running sync's
// current stage has none.
func TestDrawTimelines(t *testing.T) {
	stages := func(secs ...float64) []stageRow {
		var out []stageRow
		for i, s := range secs {
			out = append(out, stageRow{State: state.SyncState(fmt.Sprintf("s%d", i)), Duration: seconds(s), seconds: s})
		}
		return out
	}
	running := stages(1)
	running = append(running, stageRow{State: "syncing", Duration: "running"})
	rows := []syncRow{{Stages: stages(1, 3)}, {Stages: stages(0.5, 0.5)}, {Stages: running}, {}}
	drawTimelines(rows)
	width := func(r syncRow) (w int) {
		for _, b := range r.Timeline {
			w += b.W
		}
		return w
	}
	if w := width(rows[0]); w != timelineWidth || rows[0].Timeline[1].W != 3*rows[0].Timeline[0].W {
		t.Errorf("the longest sync: %+v", rows[0].Timeline)
	}
	if w := width(rows[1]); w != timelineWidth/4 {
		t.Errorf("a sync a quarter as long is %d wide, want %d", w, timelineWidth/4)
	}
	if len(rows[2].Timeline) != 2 || rows[2].Timeline[1].W != 2 {
		t.Errorf("a running sync: %+v", rows[2].Timeline)
	}
	if rows[3].Timeline != nil {
		t.Errorf("a sync without stages has a timeline: %+v", rows[3].Timeline)
	}
}

// A sink that reads its target (the kubernetes sink) reports an outcome per
// object: the fabric page marks each listed resource with it, and the
// resource's page shows it with the API server's message; a resource no
// such sink reported on shows none.
func TestStatusPageObjectOutcomes(t *testing.T) {
	e := newAPIEnv(t, envConfig{operator: true})
	e.seed(t)
	vpc, other := res("VPC", "vpc-1"), res("VPC", "vpc-2")
	e.desired(t, "lab", "r1", vpc, other)
	at := time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)
	if err := e.store.ReplaceOutcomes("lab", "kubernetes-1", []state.ObjectOutcome{
		{Key: vpc.Key, Outcome: "conflict", Message: `conflict with "kubectl-edit": .spec.subnets.default.subnet`, At: at},
	}); err != nil {
		t.Fatal(err)
	}
	status, _, body := e.page(t, "/fabrics/lab", "")
	if status != http.StatusOK {
		t.Fatalf("GET /fabrics/lab = %d", status)
	}
	mustContain(t, "the fabric page", body, `<span class="outcome outcome-conflict" data-outcome="conflict" title="kubernetes-1: conflict with &#34;kubectl-edit&#34;: .spec.subnets.default.subnet">conflict</span>`)
	if n := strings.Count(body, `data-outcome=`); n != 1 {
		t.Errorf("the fabric page marks %d resources with an outcome, want 1 (vpc-2 has none)", n)
	}
	status, _, body = e.page(t, "/fabrics/lab/"+vpc.Path, "")
	if status != http.StatusOK {
		t.Fatalf("GET the resource = %d\n%s", status, body)
	}
	mustContain(t, "the resource page", body, `<table id="resource-outcomes">`, "<td>kubernetes-1</td>", `data-outcome="conflict"`,
		`conflict with &#34;kubectl-edit&#34;: .spec.subnets.default.subnet`, `datetime="2025-03-01T11:00:00Z"`)
	if _, _, body := e.page(t, "/fabrics/lab/"+other.Path, ""); strings.Contains(body, "resource-outcomes") {
		t.Error("a resource without outcomes shows an outcome table")
	}
}
