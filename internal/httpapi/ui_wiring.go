package httpapi

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/state"
)

// The fabric's wiring as a picture: switches, servers and the links of
// their Connection resources, laid out in layers (external devices, spines,
// leaves, servers) and drawn as SVG on the server, so the page needs no
// script to show it. The layout is deterministic: a layer's nodes are in
// name order, so the same resources give the same picture.

// Node kinds in the picture, as data-kind says them. Absent is a device a
// link names with no Switch or Server resource in managed/ (its document
// may be in unmanaged/); External is the far end of a one-ended link
// (external, staticExternal).
const (
	wireSwitch   = "Switch"
	wireServer   = "Server"
	wireAbsent   = "absent"
	wireExternal = "external"
)

// Layers from top to bottom.
const (
	layerExternal = iota
	layerSpine
	layerLeaf
	layerServer
	layerCount
)

// Geometry of the picture, in SVG user units.
const (
	wireNodeW   = 132
	wireNodeH   = 34
	wireGapX    = 28
	wireLayerH  = 150
	wireMarginX = 20
	wireMarginY = 24
	// wireMaxNodes bounds the picture: a fabric bigger than this is listed,
	// not drawn, so the page stays small.
	wireMaxNodes = 400
)

// wiring is the picture's data.
type wiring struct {
	Width, Height int
	Nodes         []wireNode
	Edges         []wireEdge
	// TooBig says the fabric has more devices than the picture shows.
	TooBig bool
	// Absent counts the devices links name with no resource.
	Absent int
}

// wireNode is one device.
type wireNode struct {
	Name, Kind, Role string
	Layer            int
	// X, Y is the top left corner, W, H the size; CX is the centre line.
	X, Y, W, H, CX int
	// Class is the CSS class: the kind, and "absent" for a missing device.
	Class string
	// Label is the name as shown, cut to fit the box.
	Label string
	// Title is the tooltip: what the device is, or why it is marked.
	Title string
}

// wireEdge is one link of a Connection between two devices.
type wireEdge struct {
	// Connection and Type name the Connection resource and its type
	// (unbundled, mclag, fabric, ...).
	Connection, Type string
	From, To         string
	FromPort, ToPort string
	X1, Y1, X2, Y2   int
	// FX, FY and TX, TY place the port labels near each end of the line,
	// where the eye looks for a device's port.
	FX, FY, TX, TY int
	// Label is both ports, for the tooltip.
	Label string
}

// linkEnd is one endpoint of a link: "server: {port: server-1/enp2s1}".
type linkEnd struct {
	role, device, port string
}

// buildWiring reads the fabric's Switch, Server and Connection resources
// and lays them out.
func buildWiring(switches, servers, conns []*state.Resource) wiring {
	nodes := map[string]*wireNode{}
	for _, r := range switches {
		role := specString(r.Body, "role")
		layer := layerLeaf
		if role == "spine" {
			layer = layerSpine
		}
		nodes[r.Name] = &wireNode{Name: r.Name, Kind: wireSwitch, Role: role, Layer: layer, Class: "switch",
			Title: fmt.Sprintf("Switch %s (%s)", r.Name, orDash(role))}
	}
	for _, r := range servers {
		if _, taken := nodes[r.Name]; !taken {
			nodes[r.Name] = &wireNode{Name: r.Name, Kind: wireServer, Layer: layerServer, Class: "server", Title: "Server " + r.Name}
		}
	}
	var w wiring
	for _, c := range conns {
		typ, links := connectionLinks(c.Body)
		for _, ends := range links {
			e := wireEdge{Connection: c.Name, Type: typ}
			switch len(ends) {
			case 0:
				continue
			case 1:
				ext := "ext:" + c.Name
				if _, ok := nodes[ext]; !ok {
					nodes[ext] = &wireNode{Name: c.Name, Kind: wireExternal, Layer: layerExternal, Class: "external",
						Title: fmt.Sprintf("the outside end of %s (%s)", c.Name, typ)}
				}
				e.From, e.FromPort, e.To = ends[0].device, ends[0].port, ext
			default:
				e.From, e.FromPort, e.To, e.ToPort = ends[0].device, ends[0].port, ends[1].device, ends[1].port
			}
			for _, end := range ends[:min(2, len(ends))] {
				if _, ok := nodes[end.device]; !ok {
					nodes[end.device] = &wireNode{Name: end.device, Kind: wireAbsent, Layer: roleLayer(end.role), Class: "absent",
						Title: fmt.Sprintf("%s: no Switch or Server resource of this name in managed/ (check unmanaged/)", end.device)}
					w.Absent++
				}
			}
			w.Edges = append(w.Edges, e)
		}
	}
	if len(nodes) > wireMaxNodes {
		return wiring{TooBig: true, Absent: w.Absent}
	}
	w.layout(nodes)
	return w
}

// layout places the nodes, layer by layer in name order, and the edges
// between them; the picture is as wide as its widest layer.
func (w *wiring) layout(nodes map[string]*wireNode) {
	var layers [layerCount][]*wireNode
	for _, k := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[k]
		layers[n.Layer] = append(layers[n.Layer], n)
	}
	widest := 1
	for _, l := range layers {
		widest = max(widest, len(l))
	}
	w.Width = 2*wireMarginX + widest*wireNodeW + (widest-1)*wireGapX
	y := wireMarginY
	for _, l := range layers {
		if len(l) == 0 {
			continue
		}
		row := len(l)*wireNodeW + (len(l)-1)*wireGapX
		x := (w.Width - row) / 2
		for _, n := range l {
			n.X, n.Y, n.W, n.H, n.CX = x, y, wireNodeW, wireNodeH, x+wireNodeW/2
			n.Label = cut(n.Name, 18)
			x += wireNodeW + wireGapX
			w.Nodes = append(w.Nodes, *n)
		}
		y += wireLayerH
	}
	w.Height = y - wireLayerH + wireNodeH + wireMarginY
	// Links between the same two devices are spread side by side.
	pair := func(e wireEdge) string { return e.From + "\x00" + e.To }
	total, seen := map[string]int{}, map[string]int{}
	for _, e := range w.Edges {
		total[pair(e)]++
	}
	for i := range w.Edges {
		e := &w.Edges[i]
		a, b := nodes[e.From], nodes[e.To]
		if a.Y > b.Y {
			a, b = b, a
			e.From, e.To, e.FromPort, e.ToPort = e.To, e.From, e.ToPort, e.FromPort
		}
		e.X1, e.Y1 = a.CX, a.Y+wireNodeH
		e.X2, e.Y2 = b.CX, b.Y
		if a.Y == b.Y { // two switches of one layer (an MCLAG peer link)
			e.Y1, e.Y2 = a.Y+wireNodeH/2, b.Y+wireNodeH/2
			e.X1, e.X2 = a.X+wireNodeW, b.X
			if a.X > b.X {
				e.X1, e.X2 = a.X, b.X+wireNodeW
			}
		}
		k := pair(*e)
		off := (2*seen[k] - (total[k] - 1)) * 9
		seen[k]++
		if e.Y1 != e.Y2 {
			e.X1, e.X2 = e.X1+off, e.X2+off
		} else {
			e.Y1, e.Y2 = e.Y1+off/3, e.Y2+off/3
		}
		e.FX, e.FY = e.X1+(e.X2-e.X1)/5, e.Y1+(e.Y2-e.Y1)/5
		e.TX, e.TY = e.X2-(e.X2-e.X1)/5, e.Y2-(e.Y2-e.Y1)/5
		e.Label = portLabel(e.FromPort, e.ToPort)
	}
}

// portLabel is an edge's label: the two ports, "E1/5 – enp2s1".
func portLabel(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " – " + b
}

// roleLayer is the layer of a device known only by its role in a link.
func roleLayer(role string) int {
	switch role {
	case "spine":
		return layerSpine
	case "server":
		return layerServer
	case "gateway":
		return layerExternal
	}
	return layerLeaf
}

// connectionLinks returns a Connection's type (the one key of its spec) and
// its links, each as its endpoints in role order. A link is a mapping with
// endpoint mappings that carry a port "<device>/<port>"; spec.<type>.link
// is one link, and every list (links, peerLinks, sessionLinks) is more.
func connectionLinks(body []byte) (typ string, links [][]linkEnd) {
	var doc struct {
		Spec map[string]map[string]yaml.Node `yaml:"spec"`
	}
	if yaml.Unmarshal(body, &doc) != nil {
		return "", nil
	}
	for _, t := range slices.Sorted(maps.Keys(doc.Spec)) {
		typ = t
		body := doc.Spec[t]
		for _, field := range slices.Sorted(maps.Keys(body)) {
			n := body[field]
			switch n.Kind {
			case yaml.MappingNode:
				if ends := linkEnds(&n); len(ends) > 0 {
					links = append(links, ends)
				}
			case yaml.SequenceNode:
				for _, item := range n.Content {
					if ends := linkEnds(item); len(ends) > 0 {
						links = append(links, ends)
					}
				}
			}
		}
		break // a Connection has one type
	}
	return typ, links
}

// linkEnds reads the endpoints of one link mapping.
func linkEnds(n *yaml.Node) []linkEnd {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var ends []linkEnd
	for i := 0; i+1 < len(n.Content); i += 2 {
		var ep struct {
			Port string `yaml:"port"`
		}
		if n.Content[i+1].Kind != yaml.MappingNode || n.Content[i+1].Decode(&ep) != nil || ep.Port == "" {
			continue
		}
		device, port, _ := strings.Cut(ep.Port, "/")
		ends = append(ends, linkEnd{role: n.Content[i].Value, device: device, port: port})
	}
	slices.SortStableFunc(ends, func(a, b linkEnd) int { return roleRank(a.role) - roleRank(b.role) })
	return ends
}

// roleRank orders a link's endpoints from the top of the picture down.
func roleRank(role string) int {
	switch role {
	case "gateway":
		return 0
	case "spine":
		return 1
	case "leaf", "switch", "switch1":
		return 2
	case "switch2":
		return 3
	}
	return 4
}

// specString reads a string field of a resource's spec.
func specString(body []byte, field string) string {
	var doc struct {
		Spec map[string]any `yaml:"spec"`
	}
	if yaml.Unmarshal(body, &doc) != nil {
		return ""
	}
	s, _ := doc.Spec[field].(string)
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cut shortens s to n characters with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
