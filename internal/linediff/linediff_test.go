package linediff

import (
	"reflect"
	"strings"
	"testing"
)

func render(d []Line) string {
	var b strings.Builder
	for _, l := range d {
		b.WriteByte(byte(l.Op))
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct{ name, a, b, want string }{
		{"same", "a\nb\n", "a\nb\n", " a\n b\n"},
		{"changed value", "spec:\n  vlan: 1001\n  subnet: x\n", "spec:\n  vlan: 1002\n  subnet: x\n", " spec:\n-  vlan: 1001\n+  vlan: 1002\n   subnet: x\n"},
		{"created", "", "a\nb\n", "+a\n+b\n"},
		{"deleted", "a\n", "", "-a\n"},
		{"inserted", "a\nc\n", "a\nb\nc\n", " a\n+b\n c\n"},
	} {
		if got := render(Diff(tc.a, tc.b)); got != tc.want {
			t.Errorf("%s: got\n%swant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestDiffBound(t *testing.T) {
	big := strings.Repeat("x\n", MaxLines+1)
	d := Diff(big, big+"y\n")
	if len(d) != 2*MaxLines+3 || d[0].Op != Del || d[len(d)-1].Op != Add {
		t.Errorf("past the bound: %d lines", len(d))
	}
}

func TestHunks(t *testing.T) {
	d := Diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nfive\n6\n7\n8\n")
	want := []Line{{Same, "…"}, {Same, "4"}, {Del, "5"}, {Add, "five"}, {Same, "6"}, {Same, "…"}}
	if got := Hunks(d, 1); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := Hunks(Diff("a\n", "a\n"), 3); len(got) != 0 {
		t.Errorf("no change: %+v", got)
	}
}
