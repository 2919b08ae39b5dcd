package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// shellOperand is the operand of fgd completion: the shells it writes
// scripts for.
const shellOperand = "bash|fish|zsh"

// completionFlags is the flag set of fgd completion: --help only.
func completionFlags() *flag.FlagSet { return newFlagSet("completion") }

var completionHelp = help{
	usage: "fgd completion bash|zsh|fish",
	about: `Prints a script that completes fgd's commands, their flags, the values of
flags with a fixed set of values (--output json|text), and DIR and FILE
arguments, for the shell named.`,
	examples: []string{
		"# bash, this shell / every shell (needs the bash-completion package for the latter):",
		"source <(fgd completion bash)",
		"fgd completion bash > /etc/bash_completion.d/fgd",
		"# zsh: a file named _fgd in a folder of $fpath, then start a new shell:",
		`fgd completion zsh > "${fpath[1]}/_fgd"`,
		"# fish:",
		"fgd completion fish > ~/.config/fish/completions/fgd.fish",
	},
	exits: "0  printed\n2  usage error (no shell, or one fgd has no script for)",
}

// cmdCompletion prints the completion script of one shell.
func cmdCompletion(args []string, stdout, stderr io.Writer) int {
	fs := completionFlags()
	pos, code, ok := parse(fs, completionHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "completion", completionHelp, fmt.Sprintf("name one shell: bash, zsh or fish (got %d arguments)", len(pos)))
	}
	model := completionModel(commands())
	switch pos[0] {
	case "bash":
		fmt.Fprint(stdout, bashScript(model))
	case "zsh":
		fmt.Fprint(stdout, zshScript(model))
	case "fish":
		fmt.Fprint(stdout, fishScript(model))
	default:
		return usageError(stderr, "completion", completionHelp, fmt.Sprintf("no completion script for %q: use bash, zsh or fish", pos[0]))
	}
	return 0
}

// compCmd is one subcommand as the completion scripts see it.
type compCmd struct {
	name, summary string
	flags         []compFlag
	operand       string // as in command.operand
}

// compFlag is one flag of a subcommand.
type compFlag struct {
	name, usage string
	arg         string   // the value's name (FILE, DIR, FORMAT, ...); "" for a bool flag
	choices     []string // the values it accepts, when they are a fixed set
}

// completionModel builds the completion data from the command table and
// each command's own flag set, so a flag added to a command is completed
// without anything else to change. It adds the help pseudo-command.
func completionModel(cmds map[string]command) []compCmd {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]compCmd, 0, len(names)+1)
	for _, n := range names {
		c := cmds[n]
		cc := compCmd{name: n, summary: c.summary, operand: c.operand}
		for _, f := range visibleFlags(c.flags()) {
			arg, usage := flag.UnquoteUsage(f)
			cf := compFlag{name: f.Name, usage: usage}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				cf.arg = orDefault(arg, "VALUE")
			}
			if ch, ok := f.Value.(interface{ Choices() []string }); ok {
				cf.choices = ch.Choices()
			}
			cc.flags = append(cc.flags, cf)
		}
		cc.flags = append(cc.flags, compFlag{name: "help", usage: "show the command's help"})
		out = append(out, cc)
	}
	out = append(out, compCmd{name: "help", summary: "show a command's help", operand: strings.Join(names, "|")})
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// commandNames lists the subcommands of a model.
func commandNames(model []compCmd) []string {
	out := make([]string, len(model))
	for i, c := range model {
		out[i] = c.name
	}
	return out
}

// flagNames lists a command's flags as typed: --name.
func flagNames(c compCmd) []string {
	out := make([]string, len(c.flags))
	for i, f := range c.flags {
		out[i] = "--" + f.name
	}
	return out
}

// operandWords returns the words an operand accepts ("bash|fish|zsh"), or
// nil for DIR, FILE and none.
func operandWords(op string) []string {
	if op == "" || op == "DIR" || op == "FILE" {
		return nil
	}
	return strings.Split(op, "|")
}

// sh quotes s for a POSIX shell (bash and zsh).
func sh(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// bashScript completes with plain bash (no bash-completion helpers needed).
func bashScript(model []compCmd) string {
	var b strings.Builder
	top := append(commandNames(model), "--help")
	fmt.Fprintf(&b, `# bash completion for fgd, written by "fgd completion bash".
# This shell: source <(fgd completion bash)
# Every shell: fgd completion bash > /etc/bash_completion.d/fgd
_fgd_words() { mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2"); }
_fgd_files() { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$1"); }
_fgd_dirs() { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$1"); }
_fgd() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # bash splits --output=js into --output, = and js.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    COMPREPLY=()
    if (( COMP_CWORD == 1 )); then
        _fgd_words %s "$cur"
        return 0
    fi
    case ${COMP_WORDS[1]} in
`, sh(strings.Join(top, " ")))
	for _, c := range model {
		fmt.Fprintf(&b, "    %s)\n", c.name)
		var noValue, values []string
		for _, f := range c.flags {
			switch {
			case f.arg == "":
			case len(f.choices) > 0:
				values = append(values, fmt.Sprintf("--%s) _fgd_words %s \"$cur\"; return 0 ;;", f.name, sh(strings.Join(f.choices, " "))))
			case f.arg == "FILE":
				values = append(values, fmt.Sprintf("--%s) _fgd_files \"$cur\"; return 0 ;;", f.name))
			case f.arg == "DIR":
				values = append(values, fmt.Sprintf("--%s) _fgd_dirs \"$cur\"; return 0 ;;", f.name))
			default:
				noValue = append(noValue, "--"+f.name)
			}
		}
		if len(noValue) > 0 {
			values = append(values, strings.Join(noValue, "|")+") return 0 ;;")
		}
		if len(values) > 0 {
			// The value of a flag: its fixed values, a file, or nothing.
			fmt.Fprintf(&b, "        case $prev in\n            %s\n        esac\n", strings.Join(values, "\n            "))
		}
		if len(c.flags) > 0 {
			fmt.Fprintf(&b, "        if [[ $cur == -* ]]; then _fgd_words %s \"$cur\"; return 0; fi\n", sh(strings.Join(flagNames(c), " ")))
		}
		switch {
		case c.operand == "DIR":
			b.WriteString("        _fgd_dirs \"$cur\"\n")
		case c.operand == "FILE":
			b.WriteString("        _fgd_files \"$cur\"\n")
		case c.operand != "":
			fmt.Fprintf(&b, "        (( COMP_CWORD == 2 )) && _fgd_words %s \"$cur\"\n", sh(strings.Join(operandWords(c.operand), " ")))
		}
		b.WriteString("        ;;\n")
	}
	b.WriteString("    esac\n    return 0\n}\ncomplete -F _fgd fgd\n")
	return b.String()
}

// zshEscape escapes what _arguments treats specially in a description.
func zshEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s)
}

// zshScript completes with zsh's _arguments; it works both autoloaded from
// a file _fgd in $fpath and sourced.
func zshScript(model []compCmd) string {
	var b strings.Builder
	b.WriteString(`#compdef fgd
# zsh completion for fgd, written by "fgd completion zsh".
# Install: fgd completion zsh > "${fpath[1]}/_fgd", then start a new shell.
# This shell (after compinit): source <(fgd completion zsh)

_fgd() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args
  _arguments -C \
    '(- :)--help[show help]' \
    '1:command:->command' \
    '*::argument:->argument' && ret=0
  case $state in
    command)
      local -a commands
      commands=(
`)
	for _, c := range model {
		fmt.Fprintf(&b, "        %s\n", sh(c.name+":"+c.summary))
	}
	b.WriteString(`      )
      _describe -t commands 'fgd command' commands && ret=0
      ;;
    argument)
      curcontext=${curcontext%:*:*}:fgd-$words[1]:
      case $words[1] in
`)
	for _, c := range model {
		fmt.Fprintf(&b, "        %s)\n          _arguments", c.name)
		for _, f := range c.flags {
			spec := "--" + f.name
			if f.arg != "" {
				spec += "="
			}
			spec += "[" + zshEscape(f.usage) + "]"
			switch {
			case f.name == "help":
				spec = "(- :)" + spec
			case f.arg == "":
			case len(f.choices) > 0:
				spec += ":" + f.arg + ":(" + strings.Join(f.choices, " ") + ")"
			case f.arg == "FILE":
				spec += ":" + f.arg + ":_files"
			case f.arg == "DIR":
				spec += ":" + f.arg + ":_files -/"
			default:
				spec += ":" + f.arg + ": "
			}
			fmt.Fprintf(&b, " \\\n            %s", sh(spec))
		}
		switch {
		case c.operand == "DIR":
			fmt.Fprintf(&b, " \\\n            %s", sh("1:DIR:_files -/"))
		case c.operand == "FILE":
			fmt.Fprintf(&b, " \\\n            %s", sh("1:FILE:_files"))
		case c.operand != "":
			fmt.Fprintf(&b, " \\\n            %s", sh("1:argument:("+strings.Join(operandWords(c.operand), " ")+")"))
		}
		b.WriteString(" && ret=0\n          ;;\n")
	}
	b.WriteString(`      esac
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _fgd ]]; then
  _fgd "$@"
else
  compdef _fgd fgd
fi
`)
	return b.String()
}

// fish quotes s for fish, whose single quotes take \' and \\.
func fish(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// fishScript completes with fish's complete builtin.
func fishScript(model []compCmd) string {
	var b strings.Builder
	b.WriteString(`# fish completion for fgd, written by "fgd completion fish".
# Install: fgd completion fish > ~/.config/fish/completions/fgd.fish
# This shell: fgd completion fish | source
complete -c fgd -e
complete -c fgd -f
complete -c fgd -n __fish_use_subcommand -l help -d 'show help'
`)
	for _, c := range model {
		fmt.Fprintf(&b, "complete -c fgd -n __fish_use_subcommand -a %s -d %s\n", fish(c.name), fish(c.summary))
	}
	for _, c := range model {
		cond := fish("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			line := fmt.Sprintf("complete -c fgd -n %s -l %s", cond, f.name)
			switch {
			case f.arg == "":
			case len(f.choices) > 0:
				line += " -x -a " + fish(strings.Join(f.choices, " "))
			case f.arg == "FILE":
				line += " -r -F"
			case f.arg == "DIR":
				line += " -x -a '(__fish_complete_directories (commandline -ct))'"
			default:
				line += " -x"
			}
			fmt.Fprintf(&b, "%s -d %s\n", line, fish(f.usage))
		}
		switch {
		case c.operand == "DIR":
			fmt.Fprintf(&b, "complete -c fgd -n %s -x -a '(__fish_complete_directories (commandline -ct))'\n", cond)
		case c.operand == "FILE":
			fmt.Fprintf(&b, "complete -c fgd -n %s -F\n", cond)
		case c.operand != "":
			fmt.Fprintf(&b, "complete -c fgd -n %s -x -a %s\n", cond, fish(strings.Join(operandWords(c.operand), " ")))
		}
	}
	return b.String()
}
