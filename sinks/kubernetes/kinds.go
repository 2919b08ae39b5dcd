package kubernetes

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fgdproject/fgd/internal/resource"
)

// servedVersion is the API version the sink applies and lists. v1alpha2 documents are applied as
// v1beta1: the schemas were identical when the API was renamed, and clusters serve v1beta1.
const servedVersion = "v1beta1"

// kind is one Hedgehog kind the sink applies, with its place in the apply order.
type kind struct {
	gvr  schema.GroupVersionResource
	kind string
	// rank orders applies: what others refer to goes first (namespaces, then switches, servers and
	// groups, connections, VPCs, their attachments and peerings, externals and theirs); prunes go
	// in reverse.
	rank int
}

var ranks = map[string]int{
	"IPv4Namespace": 0, "VLANNamespace": 0,
	"Switch": 1, "Server": 1, "SwitchGroup": 1,
	"Connection":    2,
	"VPC":           3,
	"VPCAttachment": 4, "VPCPeering": 4,
	"External":           5,
	"ExternalAttachment": 6, "ExternalPeering": 6,
}

// kinds returns the 12 kinds fgd manages, in apply order.
func kinds() []kind {
	var out []kind
	for _, k := range resource.Kinds() {
		out = append(out, kind{
			gvr:  schema.GroupVersionResource{Group: k.Group, Version: servedVersion, Resource: k.Dir},
			kind: k.Kind, rank: ranks[k.Kind],
		})
	}
	sortKinds(out)
	return out
}

func sortKinds(ks []kind) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j].rank < ks[j-1].rank; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// lookupKind returns the kind of group and kind name, if fgd manages it.
func lookupKind(group, name string) (kind, bool) {
	for _, k := range kinds() {
		if k.gvr.Group == group && k.kind == name {
			return k, true
		}
	}
	return kind{}, false
}
