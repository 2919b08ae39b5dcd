package main

import (
	"fmt"
	"io"
)

// cmdIngest and cmdPlan are placeholders until the ingestion pipeline lands.
func cmdIngest(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "fgd ingest: not built yet")
	return 1
}

func cmdPlan(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "fgd plan: not built yet")
	return 1
}
