package state

import (
	"testing"
	"time"
)

// TestOutcomesReplacedPerSink: a sink's outcomes replace its earlier ones only, and go with the
// fabric.
func TestOutcomesReplacedPerSink(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.ReplaceOutcomes("f", "kubernetes-0", []ObjectOutcome{{Key: "a", Outcome: "applied", At: now}, {Key: "b", Outcome: "rejected", Message: "no", At: now}}))
	must(s.ReplaceOutcomes("f", "kubernetes-1", []ObjectOutcome{{Key: "a", Outcome: "conflict", At: now}}))
	must(s.ReplaceOutcomes("g", "kubernetes-0", []ObjectOutcome{{Key: "a", Outcome: "applied", At: now}}))
	must(s.ReplaceOutcomes("f", "kubernetes-0", []ObjectOutcome{{Key: "a", Outcome: "unchanged", At: now}}))
	got, err := s.Outcomes(nil, "f")
	must(err)
	var seen []string
	for _, o := range got {
		seen = append(seen, o.Sink+":"+o.Key+":"+o.Outcome)
	}
	if want := "kubernetes-0:a:unchanged kubernetes-1:a:conflict"; join(seen) != want {
		t.Errorf("outcomes of f: %q, want %q", join(seen), want)
	}
	if err := s.ReplaceOutcomes("f", "kubernetes-0", []ObjectOutcome{{Outcome: "applied"}}); err == nil {
		t.Error("an outcome without a key was accepted")
	}
	must(s.DeleteFabric("f"))
	if got, _ := s.Outcomes(nil, "f"); len(got) != 0 {
		t.Errorf("outcomes of a deleted fabric: %d", len(got))
	}
	if got, _ := s.Outcomes(nil, "g"); len(got) != 1 {
		t.Errorf("outcomes of g: %d, want 1", len(got))
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
