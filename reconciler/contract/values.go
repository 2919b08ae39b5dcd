package contract

// Resource is one validated, normalized fabric resource as a sink sees it.
// Body is shared with the reconciler's store, not copied: a sink reads it
// and never changes it.
type Resource struct {
	// Key is the resource's identity, "group/Kind/namespace/name".
	Key       string
	Kind      string
	Namespace string
	Name      string
	// Path is the managed file, relative to the FGD
	// ("managed/vpcs/vpc-1.yaml"); empty for a resource known only from
	// a sink's inventory.
	Path string
	// Hash is the hex sha256 of Body.
	Hash string
	// Body is the normalized YAML.
	Body []byte
}

// Diff is the desired set against what a sink holds, by key and hash.
type Diff struct {
	// Create holds the desired resources the sink does not hold.
	Create []Resource
	// Update holds the desired resources the sink holds with other bytes.
	Update []Resource
	// Delete holds what the sink holds that is no longer desired, as fgd
	// last applied it: Key, Hash and Body are set.
	Delete []Resource
	// Unchanged counts the desired resources the sink holds as they are.
	Unchanged int
}

// Request is what a sink is asked to do in one sync.
type Request struct {
	Fabric, Revision string
	// Desired is the whole desired set, sorted by key.
	Desired []Resource
	// Changes is the desired set against what fgd last applied to this
	// sink; Delete is empty unless the sink prunes.
	Changes Diff
	// DetectOnly asks for a report of what would change and of drift,
	// changing nothing.
	DetectOnly bool
}

// Outcome is what a sink did.
type Outcome struct {
	// Drift lists what the sink holds that differs from what fgd applied,
	// from a sink that cannot observe its target; for an Observer the
	// reconciler sets it from its own comparison.
	Drift []string
	// Output is the sink's (bounded, redacted) output, e.g. a command's.
	Output string
	// Objects is each resource's outcome, from a sink that reports per
	// object (the kubernetes sink); nil from the others.
	Objects []ObjectResult
}

// ObjectResult is what a sink did with one resource.
type ObjectResult struct {
	Key     string `json:"key"`
	Outcome string `json:"outcome"`
	// Message is the API server's, for a conflict (naming the other field
	// manager and the fields) or a rejection.
	Message string `json:"message,omitempty"`
}

// Per-object outcomes.
const (
	ObjectApplied   = "applied"
	ObjectUnchanged = "unchanged"
	ObjectDeleted   = "deleted"
	ObjectDrift     = "drift"
	ObjectConflict  = "conflict"
	ObjectRejected  = "rejected"
)
