package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSummary runs the real go test on testdata/demo (a passing, a failing,
// a skipped test and a skipped subtest in a; a panic in b; a build error
// in c; no test files in d): the output is what a plain go test prints, then the skips with
// their reasons, and the exit status is go test's.
func TestSummary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	t.Chdir("testdata/demo")
	t.Setenv("GOFLAGS", "-mod=mod")
	var out, errb strings.Builder
	code := run([]string{goBin, "test", "-json", "-count=1", "./..."}, &out, &errb)
	got := out.String()
	if code != 1 {
		t.Errorf("exit %d, want go test's 1\n%s%s", code, got, errb.String())
	}
	for _, want := range []string{
		"--- FAIL: TestFail (", "a_test.go:6: before\n    a_test.go:6: got 1, want 2", // the failure, whole, in order
		"FAIL\texample.com/demo/a",
		"panic: boom", "FAIL\texample.com/demo/b", // a panic and its package
		"undefined: undefined", "FAIL\texample.com/demo/c [build failed]", // a build error
		"skipped: 2\n",
		"  example.com/demo/a TestSkip: a_test.go:7: no chromium here\n",
		"  example.com/demo/a TestSub/skipped: a_test.go:10: needs root\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"=== RUN", "a_test.go:5: fine", "--- PASS", "--- SKIP", "example.com/demo/d :"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output holds %q, which a plain go test does not print:\n%s", unwanted, got)
		}
	}
}

// TestSummaryPassing: a passing run exits 0 with its ok lines and says
// that nothing was skipped.
func TestSummaryPassing(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	t.Chdir("testdata/demo")
	t.Setenv("GOFLAGS", "-mod=mod")
	var out, errb strings.Builder
	code := run([]string{goBin, "test", "-json", "-count=1", "-run", "TestPass", "./a"}, &out, &errb)
	if got := out.String(); code != 0 || !strings.Contains(got, "ok  \texample.com/demo/a") || !strings.HasSuffix(got, "skipped: 0\n") {
		t.Errorf("exit %d, output:\n%s%s", code, got, errb.String())
	}
}
