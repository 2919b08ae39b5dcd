package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

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
	status, _, body := e.page(t, "/fabrics/dc1", "")
	if status != http.StatusOK {
		t.Fatalf("GET /fabrics/dc1 = %d", status)
	}
	mustContain(t, "GET /fabrics/dc1", body, `<details class="kind" data-kind="VPC">`, `href="/fabrics/dc1/managed/vpcs/vpc-1.yaml"`,
		`<svg id="wiring"`, `data-kind="Switch" data-name="leaf-1"`, `id="fabric-resources" data-live`)
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
