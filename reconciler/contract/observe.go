package contract

import "context"

// Observer is a Sink that can read what its target holds. For such a sink
// the reconciler compares the desired set with the target itself, so a
// change made on the target by anyone else is found; a sink that cannot
// observe (a command) reports only what fgd changed since its last apply.
type Observer interface {
	// Observe reads what the target holds now of each of resources (the
	// desired set and what fgd would delete), and what it holds that fgd
	// did not put there. It changes nothing.
	Observe(ctx context.Context, resources []Resource) (ActualSet, error)
}

// ActualSet is what a sink's target holds.
type ActualSet struct {
	// Objects maps the key of each resource the target holds to what it
	// holds; a resource the target lacks has no entry.
	Objects map[string]Actual
	// Foreign names, in the sink's terms (a file's path), what the target
	// holds that fgd did not put there and that is no resource of fgd's:
	// always drift.
	Foreign []string
}

// Actual is one resource as the target holds it.
type Actual struct {
	// Hash is the Hash of the resource the target holds exactly as given
	// to Observe ("exactly" as the sink compares: the kubernetes sink by
	// the fields fgd owns), and anything else when it holds it otherwise.
	Hash string
	// Fields names, when the sink can tell, where the target's object
	// differs from the resource ("spec.subnets.default.subnet").
	Fields []string
}
