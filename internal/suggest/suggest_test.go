package suggest

import "testing"

func TestNearest(t *testing.T) {
	cmds := []string{"version", "ingest", "plan", "run", "check-config", "completion", "status", "sync"}
	for _, tc := range []struct {
		word  string
		cands []string
		want  string
	}{
		{"stauts", cmds, "status"},
		{"sycn", cmds, "sync"},
		{"chek-config", cmds, "check-config"},
		{"checkconfig", cmds, "check-config"},
		{"Ingest", cmds, "ingest"},
		{"deploy", cmds, ""},
		{"x", cmds, ""},
		{"", cmds, ""},
		{"subnetz", []string{"ipv4Namespace", "subnets", "vlanNamespace", "permit"}, "subnets"},
		{"anything", nil, ""},
	} {
		if got := Nearest(tc.word, tc.cands); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"stauts", "status", 1}, {"ab", "ba", 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
