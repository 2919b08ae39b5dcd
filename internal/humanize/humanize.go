// Package humanize writes durations the way the status page and the CLI
// show them to people.
package humanize

import (
	"fmt"
	"time"
)

// Ago says how long ago something happened, d before now: "just now"
// (under a second, or in the future when two clocks disagree), "42s ago",
// "5m ago", "3h ago" (up to two days), "2d ago".
func Ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}
