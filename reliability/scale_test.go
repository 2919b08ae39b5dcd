package reliability

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
)

// reliabilitySeed replays a run: every randomized choice of the package's
// tests derives from it.
var reliabilitySeed = flag.Int64("reliability.seed", 0, "seed of the reliability tests' random choices (0: a new one from the clock, logged)")

// The values of FGD_RELIABILITY.
const (
	reliabilityShort = "short"
	reliabilityFull  = "full"
)

// reliabilityScale returns "short" or "full" from FGD_RELIABILITY, and skips the test when it is unset.
func reliabilityScale(t *testing.T) string {
	t.Helper()
	switch s := os.Getenv("FGD_RELIABILITY"); s {
	case reliabilityShort, reliabilityFull:
		return s
	case "":
		t.Skip("set FGD_RELIABILITY=short (CI, ≤ 5 min for the whole package) or full (make reliability) to run")
	default:
		t.Fatalf("FGD_RELIABILITY=%q: want short or full", s)
	}
	return ""
}

// reliabilitySeedFor returns the seed of a test's random choices (the
// -reliability.seed flag, or the clock's nanoseconds) and logs how to
// replay it.
func reliabilitySeedFor(t *testing.T) int64 {
	t.Helper()
	seed := *reliabilitySeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -reliability.seed=%d)", seed, seed)
	return seed
}

// vpcDoc is a valid VPC document; %s is its name.
const vpcDoc = testdocs.VPCFormat

// awaitNone polls cond every `every` until it reports no problem or timeout
// passes, and returns its last problems (none when it got there). It fails
// the test at once if the daemon d exits meanwhile.
func awaitNone(t *testing.T, d *daemontest.Daemon, what string, every, timeout time.Duration, cond func() []string) []string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		left := cond()
		if len(left) == 0 {
			return nil
		}
		if d.Exited() {
			t.Fatalf("fgd exited while waiting for %s", what)
		}
		select {
		case <-deadline.C:
			return left
		case <-tick.C:
		}
	}
}
