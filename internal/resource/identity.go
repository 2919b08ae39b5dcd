package resource

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fsname"
)

// DefaultNamespace is the namespace of a resource that names none.
const DefaultNamespace = "default"

// Identity names a resource independent of its API version.
type Identity struct{ Group, Version, Kind, Namespace, Name string }

// Key is "group/Kind/namespace/name": no version, so v1alpha2 and v1beta1 of one object are one identity.
func (id Identity) Key() string {
	return id.Group + "/" + id.Kind + "/" + id.namespace() + "/" + id.Name
}

// String renders the identity for people: "VPC default/vpc-1 (vpc.githedgehog.com/v1beta1)".
func (id Identity) String() string {
	return id.Kind + " " + id.namespace() + "/" + id.Name + " (" + id.Group + "/" + id.Version + ")"
}

func (id Identity) namespace() string {
	if id.Namespace == "" {
		return DefaultNamespace
	}
	return id.Namespace
}

// Resource is a validated fabric resource.
type Resource struct {
	ID   Identity
	Doc  Document   // where it came from
	Node *yaml.Node // the mapping node of the document (comments preserved)
}

// ManagedPath is "managed/<kinddir>/<name>.yaml", or "managed/<kinddir>/<namespace>-<name>.yaml" when
// namespace != "default". A file name longer than the file system allows (a 253-character name, or a
// namespace and a name joined) is shortened by fsname.Fit: a prefix, "_" and a hash of the whole file
// name. The hash is of the identity's file name, not the content, so the file keeps its name when the
// resource changes; readers take the identity from the document, never from the file name.
func (r *Resource) ManagedPath() string { return ManagedPathFor(r.ID) }

// ManagedPathFor is the managed path of id (see Resource.ManagedPath). A kind fgd does not manage, which
// Decode never returns, gets its lower-cased plural-less kind as folder.
func ManagedPathFor(id Identity) string {
	dir := strings.ToLower(id.Kind)
	if k, ok := LookupKind(id.Group, id.Kind); ok {
		dir = k.Dir
	}
	file := id.Name
	if ns := id.namespace(); ns != DefaultNamespace {
		file = ns + "-" + id.Name
	}
	return "managed/" + dir + "/" + fsname.Fit(file+".yaml", fsname.Max)
}
