package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/fgdproject/fgd/internal/buildinfo"
)

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v, rev, gov := buildinfo.Info()
	switch *output {
	case "json":
		_ = json.NewEncoder(stdout).Encode(map[string]string{"version": v, "revision": rev, "go_version": gov})
	case "text":
		fmt.Fprintf(stdout, "fgd %s (revision %s, %s)\n", v, orUnknown(rev), gov)
	default:
		fmt.Fprintf(stderr, "fgd version: --output must be text or json, not %q\n", *output)
		return 2
	}
	return 0
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
