package cli

import (
	"github.com/urfave/cli/v2"
)

// versionFlag is --version (-v) of initbox itself, not of its commands:
// "initbox --version" prints what "initbox version" prints. urfave/cli's
// own version flag is off (HideVersion) because it prints "initbox version
// X" in a format of its own.
var versionFlag = &cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version and exit"}

// helpCommand replaces urfave/cli's "help", which exits 3 on an unknown
// topic and prints nothing useful for a typo: "initbox help wiat" is a
// usage error (2) with a suggestion.
func helpCommand(e *env) *cli.Command {
	cmd := e.newCommand("help", commandHelp{
		usage: "show the help of initbox, or of one command",
		forms: []string{"[COMMAND]"},
	}, nil, showHelp)
	cmd.HideHelp = true
	return cmd
}

func showHelp(c *cli.Context, _ *env) error {
	topic := c.Args().First()
	switch {
	case c.NArg() > 1:
		return usagef("help takes one command, not %d words", c.NArg())
	case topic == "":
		return cli.ShowAppHelp(c)
	case c.App.Command(topic) == nil:
		return unknownCommand(c.App, topic)
	}
	return cli.ShowCommandHelp(c, topic)
}

// rootAction runs when no command was named: "initbox --version", a bare
// "initbox" (usage on stderr, since stdout carries data, and exit 2), or
// an unknown command.
func (e *env) rootAction(c *cli.Context) error {
	switch {
	case c.Bool(versionFlag.Name):
		return printVersion(c, e)
	case c.NArg() == 0:
		c.App.Writer = e.stderr
		_ = cli.ShowAppHelp(c)
		return usagef("missing command: %s", commandNames(c.App))
	}
	return unknownCommand(c.App, c.Args().First())
}

func unknownCommand(app *cli.App, typed string) error {
	if s := suggestCommand(app, typed); s != "" {
		return usagef("unknown command %q%s (see initbox --help)", typed, s)
	}
	return usagef("unknown command %q (want %s; see initbox --help)", typed, commandNames(app))
}
