// Package resource parses, validates, normalizes and serializes Hedgehog
// fabric resources. It knows nothing about git, HTTP or the daemon.
package resource

import "sort"

// Group names of the two Hedgehog API groups fgd manages.
const (
	GroupVPC    = "vpc.githedgehog.com"
	GroupWiring = "wiring.githedgehog.com"
)

// Versions lists the API versions fgd accepts, newest first.
var Versions = []string{"v1beta1", "v1alpha2"}

// KindInfo describes one supported fabric kind.
type KindInfo struct {
	Group string
	Kind  string
	// Dir is the folder below managed/ that holds this kind.
	Dir string
}

// kinds is the table of the 12 supported kinds (SPEC §1).
var kinds = []KindInfo{
	{GroupVPC, "VPC", "vpcs"},
	{GroupVPC, "External", "externals"},
	{GroupVPC, "ExternalAttachment", "externalattachments"},
	{GroupVPC, "ExternalPeering", "externalpeerings"},
	{GroupVPC, "IPv4Namespace", "ipv4namespaces"},
	{GroupVPC, "VPCAttachment", "vpcattachments"},
	{GroupVPC, "VPCPeering", "vpcpeerings"},
	{GroupWiring, "Connection", "connections"},
	{GroupWiring, "Server", "servers"},
	{GroupWiring, "Switch", "switches"},
	{GroupWiring, "SwitchGroup", "switchgroups"},
	{GroupWiring, "VLANNamespace", "vlannamespaces"},
}

// Kinds returns the supported kinds in a stable order.
func Kinds() []KindInfo {
	out := make([]KindInfo, len(kinds))
	copy(out, kinds)
	return out
}

// LookupKind returns the kind's info when group and kind name a supported kind.
func LookupKind(group, kind string) (KindInfo, bool) {
	for _, k := range kinds {
		if k.Group == group && k.Kind == kind {
			return k, true
		}
	}
	return KindInfo{}, false
}

// KindDirs returns the 12 folder names below managed/, sorted.
func KindDirs() []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k.Dir)
	}
	sort.Strings(out)
	return out
}

// KindIndex is the position of group and kind in the table of supported
// kinds, for holders of many identities that keep a small number instead
// of the strings; KindAt turns it back.
func KindIndex(group, kind string) (int, bool) {
	for i, k := range kinds {
		if k.Group == group && k.Kind == kind {
			return i, true
		}
	}
	return 0, false
}

// KindAt is the supported kind at position i (see KindIndex).
func KindAt(i int) KindInfo { return kinds[i] }
