package humanize

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "just now"},
		{0, "just now"},
		{999 * time.Millisecond, "just now"},
		{time.Second, "1s ago"},
		{59*time.Second + 999*time.Millisecond, "59s ago"},
		{time.Minute, "1m ago"},
		{59 * time.Minute, "59m ago"},
		{time.Hour, "1h ago"},
		{47 * time.Hour, "47h ago"},
		{48 * time.Hour, "2d ago"},
		{30 * 24 * time.Hour, "30d ago"},
	} {
		if got := Ago(tt.d); got != tt.want {
			t.Errorf("Ago(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
