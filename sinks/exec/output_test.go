package exec

import (
	"strings"
	"testing"
)

// TestRedactorEverySplit feeds a stream holding secrets in every possible
// pair of chunks; no chunking may let a secret through.
func TestRedactorEverySplit(t *testing.T) {
	secrets := []string{"hunter2-long-secret", "hunter2"} // one contains the other
	stream := "before hunter2-long-secret middle hunter2 after hunter2hunter2 end"
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			out := newBoundedBuffer(1 << 16)
			r := newRedactor(secrets, out)
			for _, chunk := range []string{stream[:i], stream[i:j], stream[j:]} {
				if _, err := r.Write([]byte(chunk)); err != nil {
					t.Fatal(err)
				}
			}
			r.flush()
			got := out.String()
			want := "before [REDACTED] middle [REDACTED] after [REDACTED][REDACTED] end"
			if got != want {
				t.Fatalf("split at %d,%d: %q, want %q", i, j, got, want)
			}
		}
	}
}

func TestBoundedBuffer(t *testing.T) {
	cases := []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"fits", 256, []string{"abc", "def"}, "abcdef"},
		{"head and tail", 256, []string{strings.Repeat("h", 96), strings.Repeat("m", 500), strings.Repeat("t", 96)},
			strings.Repeat("h", 96) + "\n[... 500 bytes of output dropped ...]\n" + strings.Repeat("t", 96)},
		{"one huge write", 256, []string{strings.Repeat("h", 96) + strings.Repeat("m", 5000) + strings.Repeat("t", 96)},
			strings.Repeat("h", 96) + "\n[... 5000 bytes of output dropped ...]\n" + strings.Repeat("t", 96)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoundedBuffer(tc.limit)
			for _, w := range tc.writes {
				b.write([]byte(w))
			}
			if got := b.String(); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if len(b.String()) > tc.limit {
				t.Errorf("%d bytes kept, limit %d", len(b.String()), tc.limit)
			}
		})
	}
}

func TestLastLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"one\n":                  "one",
		"one\ntwo\n\n  \n":       "two",
		"error: x\r\n":           "error: x",
		strings.Repeat("y", 600): strings.Repeat("y", 512) + "…",
	} {
		if got := lastLine(in); got != want {
			t.Errorf("lastLine(%.20q) = %.20q, want %.20q", in, got, want)
		}
	}
}
