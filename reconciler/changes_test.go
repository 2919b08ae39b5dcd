package reconciler

import (
	"fmt"
	"testing"

	"github.com/fgdproject/fgd/internal/state"
)

// A deleted resource is a change; past state.MaxChanges the changes are
// still listed, without their diffs.
func TestDesiredChanges(t *testing.T) {
	res := func(name, body string) state.Resource {
		return state.Resource{Key: "k/" + name, Kind: "VPC", Name: name, Path: "managed/vpcs/" + name + ".yaml", Hash: body, Body: []byte(body)}
	}
	gone := res("gone", "name: gone\n")
	kept := res("kept", "name: kept\n")
	changes := desiredChanges([]*state.Resource{&gone, &kept}, []state.Resource{kept})
	if len(changes) != 1 || changes[0].Action != "delete" || changes[0].Diff != "-name: gone\n" {
		t.Errorf("delete: %+v", changes)
	}
	var many []state.Resource
	for i := range state.MaxChanges + 5 {
		many = append(many, res(fmt.Sprintf("v%03d", i), "x\n"))
	}
	changes = desiredChanges(nil, many)
	if len(changes) != state.MaxChanges+5 || changes[state.MaxChanges-1].Diff == "" || changes[state.MaxChanges].Diff != "" {
		t.Errorf("%d changes; diff of the last kept %q, of the first cut %q", len(changes),
			changes[state.MaxChanges-1].Diff, changes[state.MaxChanges].Diff)
	}
}
