package fsname

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	long := strings.Repeat("a", 253) + ".yaml"
	other := strings.Repeat("a", 252) + "b.yaml"
	utf := strings.Repeat("é", 200) + ".yaml"
	for _, tc := range []struct {
		name  string
		in    string
		limit int
	}{
		{"short stays", "vpc-1.yaml", Max},
		{"exactly at the limit", strings.Repeat("x", 250) + ".yaml", Max},
		{"253-character resource", long, Max},
		{"room for a sidecar suffix", long, Max - len(".metadata")},
		{"multi-byte characters", utf, Max},
		{"no extension", strings.Repeat("z", 300), Max},
		{"long extension", "a." + strings.Repeat("e", 300), Max},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Fit(tc.in, tc.limit)
			if len(got) > tc.limit {
				t.Fatalf("Fit gave %d bytes, limit %d", len(got), tc.limit)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("Fit gave invalid UTF-8: %q", got)
			}
			if len(tc.in) <= tc.limit && got != tc.in {
				t.Fatalf("a name that fits changed: %q → %q", tc.in, got)
			}
			if len(tc.in) > tc.limit {
				if !strings.Contains(got, Sep) {
					t.Fatalf("shortened name %q has no %q", got, Sep)
				}
				if ext := ".yaml"; strings.HasSuffix(tc.in, ext) && !strings.HasSuffix(got, ext) {
					t.Fatalf("shortened name %q lost its extension", got)
				}
			}
			if Fit(tc.in, tc.limit) != got {
				t.Fatal("Fit is not deterministic")
			}
		})
	}
	if Fit(long, Max) == Fit(other, Max) {
		t.Fatal("two long names with one prefix got one short form")
	}
}
