package reconciler

import (
	"cmp"
	"slices"
	"strings"

	"github.com/fgdproject/fgd/internal/linediff"
	"github.com/fgdproject/fgd/internal/state"
)

// diffContext is how many unchanged lines a change's diff keeps around it.
const diffContext = 3

// maxDiffLines bounds one resource's diff in a sync record.
const maxDiffLines = 200

// desiredChanges compares the desired set a sync replaces with the new
// one: every resource created, updated or deleted, in path order, the
// first state.MaxChanges with their YAML diffs, so the status page can
// show what the sync did to the fabric, not just how much.
func desiredChanges(old []*state.Resource, cur []state.Resource) []state.ResourceChange {
	before := make(map[string]*state.Resource, len(old))
	for _, r := range old {
		before[r.Key] = r
	}
	var out []state.ResourceChange
	add := func(r *state.Resource, action, from, to string) {
		out = append(out, state.ResourceChange{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Path: r.Path, Action: action,
			Diff: renderDiff(from, to)})
	}
	for i := range cur {
		r := &cur[i]
		o, ok := before[r.Key]
		delete(before, r.Key)
		switch {
		case !ok:
			add(r, "create", "", string(r.Body))
		case o.Hash != r.Hash:
			add(r, "update", string(o.Body), string(r.Body))
		}
	}
	for _, o := range before {
		add(o, "delete", string(o.Body), "")
	}
	slices.SortFunc(out, func(a, b state.ResourceChange) int { return cmp.Compare(a.Path, b.Path) })
	if len(out) > state.MaxChanges {
		for i := state.MaxChanges; i < len(out); i++ {
			out[i].Diff = "" // counted and named, not shown
		}
	}
	return out
}

// renderDiff is the diff of two YAML texts as lines prefixed with the
// operation, bounded to maxDiffLines.
func renderDiff(from, to string) string {
	lines := linediff.Hunks(linediff.Diff(from, to), diffContext)
	var b strings.Builder
	for i, l := range lines {
		if i == maxDiffLines {
			b.WriteString("  … (diff cut)\n")
			break
		}
		b.WriteByte(byte(l.Op))
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
