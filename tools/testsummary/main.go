// Command testsummary runs `go test -json …` and prints what a plain
// `go test` would — the output of failing tests, each package's closing
// ok/FAIL line, build errors — followed by every skipped test with its
// reason, which a plain run hides. It exits with go test's status. `make
// test` runs it:
//
//	go run ./tools/testsummary go test -json -race -count=1 ./...
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: testsummary go test -json [flags] [packages]")
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "testsummary: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testsummary: start %s: %v\n", args[0], err)
		return 1
	}
	s := newSummary(stdout)
	readErr := s.read(out)
	waitErr := cmd.Wait()
	s.finish()
	var exit *exec.ExitError
	switch {
	case errors.As(waitErr, &exit):
		return exit.ExitCode()
	case waitErr != nil:
		fmt.Fprintf(stderr, "testsummary: %s: %v\n", args[0], waitErr)
		return 1
	case readErr != nil:
		fmt.Fprintf(stderr, "testsummary: read the test output: %v\n", readErr)
		return 1
	case s.failed:
		// go test said 0 but a package or test failed: trust the failure.
		return 1
	}
	return 0
}
