package daemontest

import (
	"os"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	got := ParseMetrics("# HELP x y\n# TYPE x counter\nfgd_syncs_total{fabric=\"a b\",result=\"success\"} 3\ngo_goroutines 42\nbroken\nnan_line x\n")
	if len(got) != 2 || got[`fgd_syncs_total{fabric="a b",result="success"}`] != 3 || got["go_goroutines"] != 42 {
		t.Errorf("ParseMetrics = %v", got)
	}
}

// ProcUsage of this very process: it has memory, files, threads and has
// used the CPU, and the CPU time only grows.
func TestProcUsage(t *testing.T) {
	u0, err := ProcUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u0.RSSBytes <= 0 || u0.FDs <= 0 || u0.Threads <= 0 || u0.CPUSeconds <= 0 {
		t.Fatalf("ProcUsage = %+v, want every field positive", u0)
	}
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	_ = x
	u1, err := ProcUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u1.CPUSeconds <= u0.CPUSeconds {
		t.Errorf("CPU time went from %v to %v over a busy loop", u0.CPUSeconds, u1.CPUSeconds)
	}
	if _, err := ProcUsage(-1); err == nil {
		t.Error("ProcUsage of no process: no error")
	}
}
