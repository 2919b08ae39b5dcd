// Command codeshape lists every function over 80 lines and every file over
// 500 lines among the module's non-test Go files, and exits 1 when it
// lists any: long functions and files are where two ideas share a room.
// Test files, testdata/ folders, hidden folders and nested modules (a
// folder with its own go.mod, such as internal/testutil/kubeapiserver) are
// not looked at. `make shape` runs it:
//
//	go run ./tools/codeshape [-func-lines 80] [-file-lines 500] [ROOT]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run checks the tree and prints what is over a limit; it returns 0 when
// nothing is, 1 when something is, and 2 when the check could not run.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("codeshape", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lim limits
	fs.IntVar(&lim.funcLines, "func-lines", 80, "report functions longer than `N` lines")
	fs.IntVar(&lim.fileLines, "file-lines", 500, "report files longer than `N` lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	root := "."
	switch fs.NArg() {
	case 0:
	case 1:
		root = fs.Arg(0)
	default:
		fmt.Fprintln(stderr, "usage: codeshape [-func-lines N] [-file-lines N] [ROOT]")
		return 2
	}
	found, err := check(root, lim)
	if err != nil {
		fmt.Fprintf(stderr, "codeshape: %v\n", err)
		return 2
	}
	if len(found) == 0 {
		fmt.Fprintf(stdout, "no function over %d lines, no file over %d lines\n", lim.funcLines, lim.fileLines)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHERE\tWHAT\tLINES\tLIMIT")
	for _, f := range found {
		fmt.Fprintf(tw, "%s:%d\t%s\t%d\t%d\n", f.file, f.line, f.what, f.lines, f.limit)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d over the limit: split them along the steps or ideas they hold\n", len(found))
	return 1
}
