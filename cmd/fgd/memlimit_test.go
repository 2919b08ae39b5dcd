package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/testutil/testlog"
)

// TestApplyMemoryLimit sets the runtime's soft memory limit from
// memory_limit_mib, and leaves the runtime's own when the key is 0.
func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	debug.SetMemoryLimit(math.MaxInt64)
	var buf testlog.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))

	if got := applyMemoryLimit(&config.Config{}, log); got != math.MaxInt64 {
		t.Errorf("memory_limit_mib 0: limit %d, want the runtime's own (none)", got)
	}
	if got := applyMemoryLimit(&config.Config{MemoryLimitMiB: 300}, log); got != 300<<20 {
		t.Errorf("memory_limit_mib 300: limit %d, want %d", got, 300<<20)
	}
	if !strings.Contains(buf.String(), "memory_limit_mib=300") {
		t.Errorf("the limit set is not logged: %q", buf.String())
	}
}
