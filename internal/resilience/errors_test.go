package resilience

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestClassOf(t *testing.T) {
	base := errors.New("connection refused")
	tests := []struct {
		name      string
		err       error
		want      Class
		wantAfter time.Duration
	}{
		{"unclassified is transient", base, ClassTransient, 0},
		{"context deadline is transient", context.DeadlineExceeded, ClassTransient, 0},
		{"transient", Transient(base), ClassTransient, 0},
		{"waiting", Waiting(base, 30*time.Second), ClassWaiting, 30 * time.Second},
		{"stalled", Stalled(base, "fix the password"), ClassStalled, 0},
		{"wrapped stalled", fmt.Errorf("fetch origin: %w", Stalled(base, "x")), ClassStalled, 0},
		{"wrapped waiting", fmt.Errorf("push: %w", Waiting(base, time.Minute)), ClassWaiting, time.Minute},
		{"outermost class wins", Transient(Stalled(base, "x")), ClassTransient, 0},
		{"joined: first classified", errors.Join(base, Stalled(base, "x")), ClassStalled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassOf(tt.err); got != tt.want {
				t.Errorf("ClassOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := AfterOf(tt.err); got != tt.wantAfter {
				t.Errorf("AfterOf(%v) = %v, want %v", tt.err, got, tt.wantAfter)
			}
		})
	}
}

func TestErrorKeepsTheChainAndTellsTheFix(t *testing.T) {
	err := fmt.Errorf("clone https://git.example/o/r.git: %w",
		Stalled(fmt.Errorf("read password: %w", fs.ErrNotExist), "create auth.password_file of fabric dc1"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is does not see through a classified error")
	}
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Remediation != "create auth.password_file of fabric dc1" {
		t.Fatalf("errors.As = %v, %v", e, ok)
	}
	for _, want := range []string{"clone https://git.example/o/r.git", "file does not exist", "create auth.password_file of fabric dc1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
	if got := Waiting(errors.New("rate limited"), 1500*time.Millisecond).Error(); got != "rate limited (retry in 1.5s)" {
		t.Errorf("waiting message = %q", got)
	}
}

func TestConstructorsKeepNil(t *testing.T) {
	for name, err := range map[string]error{
		"Transient": Transient(nil),
		"Waiting":   Waiting(nil, time.Second),
		"Stalled":   Stalled(nil, "x"),
	} {
		if err != nil {
			t.Errorf("%s(nil) = %v, want nil", name, err)
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{ClassTransient: "transient", ClassWaiting: "waiting", ClassStalled: "stalled", Class(9): "class(9)"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(c), got, want)
		}
	}
}
