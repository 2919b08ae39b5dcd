package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/fgdproject/fgd/internal/buildinfo"
)

// versionOpts are the flags of fgd version.
type versionOpts struct {
	output *string
}

// flags defines the flag set of fgd version, which the command and shell
// completion both use.
func (o *versionOpts) flags() *flag.FlagSet {
	fs := newFlagSet("version")
	o.output = outputFlag(fs)
	return fs
}

var versionHelp = help{
	usage: "fgd version [--output text|json]",
	about: "Prints fgd's version, the Git revision it was built from and the Go version.",
	examples: []string{
		"fgd version",
		"fgd version --output json",
	},
	exits: "0  printed\n2  usage error",
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	var o versionOpts
	fs := o.flags()
	pos, code, ok := parse(fs, versionHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageFail(stdout, stderr, *o.output == outputJSON, "version", versionHelp, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	v, rev, gov := buildinfo.Info()
	if *o.output == outputJSON {
		_ = json.NewEncoder(stdout).Encode(map[string]string{"version": v, "revision": rev, "go_version": gov})
		return 0
	}
	fmt.Fprintf(stdout, "fgd %s (revision %s, %s)\n", v, orUnknown(rev), gov)
	return 0
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
