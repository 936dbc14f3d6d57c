package cli

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// reorderArgs moves a command's options in front of its arguments, so that
// "initbox wait db:5432 --timeout 1s" means what kubectl and wait4x users
// expect: urfave/cli (like Go's flag package) stops at the first argument
// and would take "--timeout" for a target. args is the command line
// before any "--" (see splitCommand), program name first.
//
// Which options take a value comes from the command's own definitions:
// "--timeout 1s" moves as a pair, "--any" alone, "--timeout=1s" is one
// word, and a lone "-" is an argument (stdin, stdout). An unknown option
// moves alone, so that the parser reports it, with a suggestion.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	i := commandWord(app, args)
	if i == len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil || cmd.SkipFlagParsing {
		return args // an unknown command: reported as it is
	}
	out := slices.Clone(args[:i+1])
	var options, operands []string
	for i++; i < len(args); {
		if !isOption(args[i]) {
			operands = append(operands, args[i])
			i++
			continue
		}
		n := optionWords(cmd.Flags, args[i:])
		if n == 1 && i == len(args)-1 && takesValue(findFlag(cmd.Flags, strings.TrimLeft(args[i], "-"))) {
			// "wait db:5432 --timeout": the value is missing, and
			// db:5432 is not it; the parser says so when nothing follows.
			return append(append(out, options...), args[i])
		}
		options = append(options, args[i:i+n]...)
		i += n
	}
	if slices.ContainsFunc(options, isHelp) {
		// urfave/cli would take the first argument for a help topic.
		return append(out, options...)
	}
	return append(append(out, options...), operands...)
}

func isHelp(word string) bool { return word == "--help" || word == "-h" }

// commandWord returns the index in args of the command's name: the
// first word after the global options, or len(args) if there is none.
func commandWord(app *cli.App, args []string) int {
	i := 1
	for i < len(args) && isOption(args[i]) {
		i += optionWords(app.Flags, args[i:])
	}
	return i
}

// isOption reports whether a word is an option: "-x", "--name",
// "--name=value"; not "-" alone.
func isOption(word string) bool {
	return len(word) > 1 && word[0] == '-'
}

// optionWords returns how many words the option at args[0] spans: 2 when
// it takes a value given as the next word, else 1.
func optionWords(flags []cli.Flag, args []string) int {
	name := strings.TrimLeft(args[0], "-")
	if strings.Contains(name, "=") || len(args) < 2 {
		return 1
	}
	if f := findFlag(flags, name); f != nil && takesValue(f) {
		return 2
	}
	return 1
}

// findFlag returns the flag called name (or one of its aliases), or nil.
func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// takesValue reports whether a flag takes a value; --help and -h, which
// urfave/cli adds to every command later, do not.
func takesValue(f cli.Flag) bool {
	if f == nil {
		return false
	}
	v, ok := f.(interface{ TakesValue() bool })
	return ok && v.TakesValue()
}
