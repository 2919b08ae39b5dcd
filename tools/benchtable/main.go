// Command benchtable reads the text output of `go test -bench` on stdin
// and prints one markdown table of fgd's performance targets: what was
// measured, the figure, the target and whether it is met. `make bench`
// runs it on bench.out.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() { os.Exit(run()) }

func run() int {
	in, err := Parse(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		return 1
	}
	if len(in.Results) == 0 && len(in.Failed) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin (expected `go test -bench` output, e.g. bench.out)")
	}
	if err := Render(os.Stdout, Machine("/proc", runtime.NumCPU(), runtime.Version()), Build(rows, in)); err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: write the table: %v\n", err)
		return 1
	}
	return 0
}
