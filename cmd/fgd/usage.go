package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/fgdproject/fgd/internal/suggest"
)

// help is what `fgd COMMAND --help` prints besides the flags.
type help struct {
	usage    string   // synopsis after "Usage: ", e.g. "fgd ingest DIR [flags]"
	about    string   // what the command does, one or more lines
	examples []string // command lines; a line starting with "#" is a comment
	exits    string   // the exit statuses, one per line
}

// newFlagSet returns an empty flag set that reports errors instead of
// exiting and prints nothing on its own: parse prints help and errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with flags before or after the operands. On --help it
// prints the help to stdout; on a usage error it prints the error and the
// synopsis to stderr. ok is false when the command must return code.
func parse(fs *flag.FlagSet, h help, args []string, stdout, stderr io.Writer) (operands []string, code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs, h)
		return nil, 0, false
	case err != nil:
		// The flag package names flags with one dash; help uses two.
		msg := strings.Replace(err.Error(), " -", " --", 1) + flagSuggestion(fs, err)
		return nil, usageError(stderr, fs.Name(), h, msg), false
	}
	if msg := checkChoices(fs); msg != "" {
		return nil, usageError(stderr, fs.Name(), h, msg), false
	}
	return pos, 0, true
}

// flagSuggestion is "; did you mean --x?" for an unknown flag close to a
// known one, or "".
func flagSuggestion(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return ""
	}
	name = strings.TrimLeft(name, "-")
	var known []string
	for _, f := range visibleFlags(fs) {
		known = append(known, f.Name)
	}
	if s := suggest.Nearest(name, known); s != "" {
		return "; did you mean --" + s + "?"
	}
	return ""
}

// usageError prints a usage problem and the synopsis to w and returns 2,
// the exit status of a usage error.
func usageError(w io.Writer, name string, h help, msg string) int {
	fmt.Fprintf(w, "fgd %s: %s\n", name, msg)
	fmt.Fprintf(w, "Usage: %s\nRun 'fgd %s --help' for the flags and examples.\n", h.usage, name)
	return 2
}

// parseInterspersed parses flags placed before or after the positional
// arguments (fgd ingest DIR --fabric x) and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printHelp writes a command's help: synopsis, description, flags in the
// --long-name style, examples and exit statuses.
func printHelp(w io.Writer, fs *flag.FlagSet, h help) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", h.usage, strings.TrimSpace(h.about))
	fmt.Fprintf(w, "\nFlags:\n")
	type row struct{ left, usage string }
	var rows []row
	width := 0
	for _, f := range visibleFlags(fs) {
		arg, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if arg != "" {
			left += " " + arg
		}
		if d := defaultText(f); d != "" {
			usage += " (default " + d + ")"
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	}
	rows = append(rows, row{"--help", "show this help and exit"})
	width = max(width, len("--help"))
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.usage)
	}
	fmt.Fprintf(w, "\nExamples:\n")
	for _, e := range h.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "\nExit status:\n")
	for _, l := range strings.Split(strings.TrimSpace(h.exits), "\n") {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// defaultText is a flag's default as help shows it, or "" when the default
// says nothing (an empty string, false).
func defaultText(f *flag.Flag) string {
	if f.DefValue == "" || f.DefValue == "false" {
		return ""
	}
	return f.DefValue
}

// visibleFlags lists the flags of fs that help and completion show: every
// flag except the aliases kept for compatibility.
func visibleFlags(fs *flag.FlagSet) []*flag.Flag {
	var out []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if _, alias := f.Value.(aliasValue); !alias {
			out = append(out, f)
		}
	})
	return out
}

// aliasValue is a second name of another flag, accepted but not shown.
type aliasValue struct{ flag.Value }

// addAlias makes old a hidden second name of the flag name.
func addAlias(fs *flag.FlagSet, old, name string) {
	fs.Var(aliasValue{fs.Lookup(name).Value}, old, "same as --"+name)
}

// choiceValue is a string flag limited to a few values, which help and
// shell completion list. Aliases are accepted and stored as their target.
type choiceValue struct {
	value   string
	choices []string
	aliases map[string]string
	bad     string // the last invalid value given, reported by checkChoices
}

func (c *choiceValue) String() string { return c.value }

// Set records the value; an invalid one is reported by checkChoices, so
// the message can name the flag the way help does.
func (c *choiceValue) Set(s string) error {
	v := strings.ToLower(s)
	if t, ok := c.aliases[v]; ok {
		v = t
	}
	if !slices.Contains(c.choices, v) {
		c.bad = s
		return nil
	}
	c.value, c.bad = v, ""
	return nil
}

// Choices lists the accepted values, then the aliases, for completion.
func (c *choiceValue) Choices() []string {
	return append(slices.Clone(c.choices), slices.Sorted(maps.Keys(c.aliases))...)
}

// want words the accepted values ("text or json") and the aliases
// ("table is an alias of text").
func (c *choiceValue) want() (values, aliases string) {
	values = c.choices[0]
	if n := len(c.choices); n > 1 {
		values = strings.Join(c.choices[:n-1], ", ") + " or " + c.choices[n-1]
	}
	var notes []string
	for _, a := range slices.Sorted(maps.Keys(c.aliases)) {
		notes = append(notes, a+" is an alias of "+c.aliases[a])
	}
	return values, strings.Join(notes, ", ")
}

// choice defines a choiceValue flag on fs and returns its value's address.
func choice(fs *flag.FlagSet, name, def, usage string, choices []string, aliases map[string]string) *string {
	c := &choiceValue{value: def, choices: choices, aliases: aliases}
	fs.Var(c, name, usage)
	return &c.value
}

// checkChoices returns the problem with the first choice flag set to a
// value it does not accept, or "".
func checkChoices(fs *flag.FlagSet) string {
	msg := ""
	fs.Visit(func(f *flag.Flag) {
		v := f.Value
		if a, ok := v.(aliasValue); ok {
			v = a.Value
		}
		if c, ok := v.(*choiceValue); ok && c.bad != "" && msg == "" {
			values, aliases := c.want()
			msg = fmt.Sprintf("--%s must be %s, not %q", f.Name, values, c.bad)
			if aliases != "" {
				msg += " (" + aliases + ")"
			}
		}
	})
	return msg
}

// Output formats of --output. table is accepted as another name of text.
const (
	outputText = "text"
	outputJSON = "json"
)

// outputFlag defines --output on fs: text (the default; table is an alias)
// or json.
func outputFlag(fs *flag.FlagSet) *string {
	return choice(fs, "output", outputText, "print in this `FORMAT`: text or json (table is an alias of text)",
		[]string{outputText, outputJSON}, map[string]string{"table": outputText})
}
