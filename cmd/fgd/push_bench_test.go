package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// BenchmarkPushToPublished5000 measures, against the real daemon following
// a 5,000-resource fabric over loopback smart HTTP, the time from a user's
// `git push` of a new VPC into raw/ to that VPC in the tree the directory
// sink publishes, once per iteration, each with the fabric idle:
//
//   - poll-1s: the source polls every second (±10%), nothing else wakes it;
//   - webhook: the source polls every hour, and a signed GitHub push
//     webhook follows the push (its round trip is in the figure).
//
// The floor, in the same run and for the same commit, is the git CLI doing
// what git-sync does per change: `git fetch` of the pushed commit and
// `git worktree add` of it (a checkout of 5,118 files). It reports p50-ms,
// max-ms, floor-p50-ms, x-floor-plus-poll (p50 ÷ (floor p50 + the poll
// interval); the webhook's interval counts as 0), files-written-max and
// files-linked (in the published tree: new inodes against hard links to
// the tree before), and repo-files and repo-MiB of the fabric.
// Targets: poll-1s p50 ≤ floor + 1 s and < 1 s, max < 3 s; webhook p50
// < 500 ms; at most 10 files written per publish.
func BenchmarkPushToPublished5000(b *testing.B) {
	bin := daemontest.Build(b)
	for _, c := range []struct {
		name     string
		interval time.Duration
		webhook  bool
	}{
		{"poll-1s", time.Second, false},
		{"webhook", 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			interval := "1h"
			if c.interval > 0 {
				interval = c.interval.String()
			}
			r := startGitRig(b, bin, interval)
			floor := filepath.Join(b.TempDir(), "floor")
			gittest.Git(b, filepath.Dir(floor), "clone", "--quiet", r.url, floor)

			var lat, floors []time.Duration
			var maxWritten, linked int
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				r.waitIdle(b)
				name := fmt.Sprintf("vpc-push-%d", i)
				r.commitRaw(b, name, 3000+i)
				before := treeInodes(b, r.out)
				b.StartTimer()
				r.push(b)
				start := time.Now()
				if c.webhook {
					signedGitHubPush(b, r.d.Base, hookSecret, r.url)
				}
				benchPoll(b, 5*time.Minute, time.Millisecond, name+" in the published tree", func() bool { return r.published("vpcs", name) })
				lat = append(lat, time.Since(start))
				b.StopTimer()
				r.checkPublished(b, name)
				written, l := writtenAndLinked(before, treeInodes(b, r.out))
				maxWritten, linked = max(maxWritten, written), l
				floors = append(floors, floorFetchCheckout(b, floor, i))
				b.StartTimer()
			}
			b.StopTimer()
			p50, floorP50 := p50(lat), p50(floors)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(slices.Max(lat)), "max-ms")
			b.ReportMetric(ms(floorP50), "floor-p50-ms")
			b.ReportMetric(float64(p50)/float64(floorP50+c.interval), "x-floor-plus-poll")
			b.ReportMetric(float64(maxWritten), "files-written-max")
			b.ReportMetric(float64(linked), "files-linked")
			files := fabric5000(b, bin)
			b.ReportMetric(float64(len(files)), "repo-files")
			b.ReportMetric(float64(fabricBytes(files))/(1<<20), "repo-MiB")
		})
	}
}

// p50 is the median of lat (the lower one of an even count).
func p50(lat []time.Duration) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
