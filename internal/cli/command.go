package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// commandHelp is what "initbox help NAME" says of a command besides its
// flags.
type commandHelp struct {
	usage string   // one line, shown in the list of commands too
	forms []string // the command lines it takes, each after "initbox NAME"
	about []string // the description, a paragraph each
}

// newCommand makes the command name, with its help and flags, whose
// action is run with e. Every command is made here, so that all lay out
// their help alike and tell a mistake in their flags in initbox's words.
func (e *env) newCommand(name string, h commandHelp, flags []cli.Flag, run func(*cli.Context, *env) error) *cli.Command {
	return &cli.Command{
		Name:         name,
		Usage:        h.usage,
		UsageText:    h.usageText(name),
		Description:  strings.Join(h.about, "\n\n"),
		Flags:        flags,
		Action:       e.action(run),
		OnUsageError: onUsageError,
	}
}

// usageText writes out the forms, the second and later ones indented
// under the first; "" (no forms) leaves urfave/cli to write its own.
func (h commandHelp) usageText(name string) string {
	lines := make([]string, len(h.forms))
	for i, form := range h.forms {
		lines[i] = "initbox " + name + " " + form
	}
	return strings.Join(lines, "\n") // the help template indents each line
}

// action runs a command's function with what it may touch of the process.
func (e *env) action(run func(*cli.Context, *env) error) cli.ActionFunc {
	return func(c *cli.Context) error { return run(c, e) }
}
