package state

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestArchitectureDocStateTable keeps the state table of
// docs/architecture.md true: every state is a row, and each row lists
// exactly the moves the state machine allows.
func TestArchitectureDocStateTable(t *testing.T) {
	text, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "## The states of a sync")
	if !ok {
		t.Fatal(`docs/architecture.md has no "The states of a sync" section`)
	}
	seen := map[SyncState]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 2 || strings.HasPrefix(cells[0], "---") || strings.TrimSpace(cells[0]) == "From" {
			continue
		}
		var to []SyncState
		for _, w := range strings.Split(cells[1], ",") {
			if f := strings.Fields(w); len(f) > 0 && f[0] != "—" {
				to = append(to, SyncState(f[0]))
			}
		}
		for _, w := range strings.Split(cells[0], ",") {
			from := SyncState(strings.Fields(w)[0])
			seen[from] = true
			want := allowed[from]
			if !slices.Equal(sorted(to), sorted(want)) {
				t.Errorf("docs/architecture.md: %s may become %v; the table in syncstate.go says %v", from, to, want)
			}
		}
	}
	for _, s := range syncStates() {
		if !seen[s] {
			t.Errorf("docs/architecture.md's state table has no row for %s", s)
		}
	}
}

func sorted(s []SyncState) []SyncState {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
