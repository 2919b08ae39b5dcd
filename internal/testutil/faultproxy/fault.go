package faultproxy

import (
	"fmt"
	"time"
)

// Fault is what the proxy does to a connection it accepts. The fault is
// chosen when the connection is accepted and kept for its whole life.
type Fault int

// The faults, from healthy to worst. A change of fault applies to the
// connections accepted after it; open ones keep the fault they were given.
const (
	// None forwards both ways untouched.
	None Fault = iota
	// Refuse accepts and closes at once (FIN): the client reads EOF.
	Refuse
	// Reset accepts and aborts with a TCP RST: the client sees ECONNRESET.
	Reset
	// Delay forwards both ways, holding every chunk for Options.Delay.
	Delay
	// Truncate forwards at most Options.TruncateAfter bytes of the
	// backend's answer, then ends the stream to the client.
	Truncate
	// Blackhole accepts and reads, never dials the backend and never
	// answers, until the client or Close ends the connection.
	Blackhole
	// HTTP500 reads the request head, answers "500 Internal Server Error"
	// and closes, as a broken HTTP remote would.
	HTTP500

	numFaults // keep last: the size of per-fault tables
)

// faultNames is indexed by Fault.
var faultNames = [numFaults]string{"none", "refuse", "reset", "delay", "truncate", "blackhole", "http500"}

// String names the fault as it appears in logs.
func (f Fault) String() string {
	if f < 0 || f >= numFaults {
		return fmt.Sprintf("fault(%d)", int(f))
	}
	return faultNames[f]
}

// Options tune a fault. Fields that do not apply to the fault are ignored.
type Options struct {
	// Delay is how long Delay holds each chunk, in each direction; it must
	// be positive for Delay.
	Delay time.Duration
	// TruncateAfter is how many bytes of the backend's answer Truncate
	// forwards before it ends the stream (0 forwards none).
	TruncateAfter int64
	// Probability is the chance, in [0, 1], that a new connection gets the
	// fault; the others are forwarded untouched. The zero value means 1
	// (every connection); to fault none, set None.
	Probability float64
	// Rand draws the numbers Probability is compared with, one per accepted
	// connection, in accept order; a seeded source, such as
	// rand.New(rand.NewPCG(seed, 0)).Float64, makes the mix of healthy and
	// faulty connections repeatable. The proxy calls it from one goroutine
	// only. Nil uses the unseeded math/rand/v2 source.
	Rand func() float64
}

// validate says what is wrong with f and o, in terms a test author can fix.
func validate(f Fault, o Options) error {
	switch {
	case f < 0 || f >= numFaults:
		return fmt.Errorf("faultproxy: unknown fault %d: use one of the Fault constants", int(f))
	case o.Probability < 0 || o.Probability > 1 || o.Probability != o.Probability:
		return fmt.Errorf("faultproxy: %s: probability %v is outside [0, 1]", f, o.Probability)
	case f == Delay && o.Delay <= 0:
		return fmt.Errorf("faultproxy: delay fault needs a positive Options.Delay, got %v", o.Delay)
	case f == Truncate && o.TruncateAfter < 0:
		return fmt.Errorf("faultproxy: truncate fault needs Options.TruncateAfter >= 0, got %d", o.TruncateAfter)
	}
	return nil
}
