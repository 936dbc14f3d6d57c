package cli

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/termlog"
)

// Main runs one initbox command line and returns the process's exit code;
// ctx carries SIGINT and SIGTERM as its cancel cause (see WithSignals).
// When the command succeeded and a "-- COMMAND" followed it, Main replaces
// the process with that command and returns only if that fails.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e, code, argv := run(ctx, args, stdout, stderr)
	if argv == nil {
		return code
	}
	code = execAfter(ctx, argv, e.rec, stderr)
	e.writeTermination(code) // reached only if the command did not run
	return code
}

// Run is Main without the exec, for running the CLI in-process: it returns
// the exit code and, when the command succeeded and a "-- COMMAND"
// followed it, the command that Main would replace the process with.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, []string) {
	_, code, argv := run(ctx, args, stdout, stderr)
	return code, argv
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (*env, int, []string) {
	args, command := splitCommand(args)
	e := &env{stdout: stdout, stderr: stderr, args: args, command: command}
	e.rec = termlog.NewRecorder(slog.DiscardHandler) // until the flags say more
	e.log = slog.New(e.rec)
	app := newApp(e)
	err := app.RunContext(ctx, reorderArgs(app, args))
	code := exitCode(err)
	if code != ExitOK {
		e.reportError(err)
		e.writeTermination(code)
		return e, code, nil
	}
	if e.command == nil {
		// With a command to exec, the message is the command's to write.
		e.writeTermination(code)
	}
	return e, code, e.command // run's may come from its file
}

// commands are initbox's commands, in the order --help lists them: each
// is a function in the command's own file that builds its *cli.Command
// (see the package comment for how to add one).
var commands = []func(*env) *cli.Command{
	waitCommand,
	checkCommand,
	fetchCommand,
	renderCommand,
	serveCommand,
	runCommand,
	versionCommand,
	completionCommand,
	helpCommand,
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:      "initbox",
		Usage:     "wait for dependencies, fetch files, render config — for init containers and healthchecks",
		UsageText: "initbox [global options] command [options] [arguments...] [-- COMMAND [ARG...]]",
		Description: "Every option can also be set by an environment variable, shown in [brackets].\n" +
			"Exit codes: 0 success, 1 failure, 2 usage error, 124 timed out,\n" +
			"126 the command after \"--\" cannot be executed, 127 it was not found, 130/143 interrupted.",
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// versionFlag has no environment variable: INITBOX_VERSION=1
		// would make every command print the version.
		Flags: append(withEnv(globalFlags()), versionFlag, cli.HelpFlag), // our help command keeps urfave/cli from adding -h
		Before: func(c *cli.Context) error {
			return e.setupLog(c)
		},
		Commands:    make([]*cli.Command, 0, len(commands)),
		HideVersion: true, // versionFlag instead: see help.go
		// The library must never exit the process or print errors on its
		// own: Run maps errors to exit codes (exit.go) and messages
		// (log.go).
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// Reached only when no command matched.
		Action: e.rootAction,
	}
	for _, build := range commands {
		app.Commands = append(app.Commands, build(e))
	}
	run, help := commandToRun(app, e.args), asksHelp(e.args)
	for _, cmd := range app.Commands {
		cmd.Before = e.setupLog
		loadRootsBefore(cmd)
		switch {
		case run == nil:
		case cmd != run:
			noHelpHeadings(cmd)
			continue
		case !help:
			noHelpHeadings(cmd)
		}
		if !slices.Contains(envFreeCommands, cmd.Name) {
			cmd.Flags = withEnv(cmd.Flags)
		}
		// The global flags work after the command too: "initbox wait -q".
		cmd.Flags = append(cmd.Flags, withEnv(globalFlags())...)
	}
	return app
}

// commandToRun returns the command that args run, when it is the only one
// whose flags the run can parse or show, else nil. Only that one gets its
// environment variables and the global flags, and the others lose their
// flags' help headings, as does that one unless args ask for help:
// urfave/cli's App.Setup writes out the help line of every flag that has
// a heading, of every command, which with the rest of the set-up was most
// of the start-up of "initbox version" and of a healthcheck. help and
// completion, which may show any command, and a command line that names
// no known command, have them all.
func commandToRun(app *cli.App, args []string) *cli.Command {
	i := commandWord(app, args)
	if i >= len(args) {
		return nil
	}
	run := app.Command(args[i])
	if run == nil || slices.Contains(showOtherCommands, run.Name) {
		return nil
	}
	return run
}

// asksHelp reports whether a word of args may be a help flag: -h, --help,
// -help, --help=true. A value that looks like one counts too: keeping
// the headings is never wrong, only slower.
func asksHelp(args []string) bool {
	return slices.ContainsFunc(args, func(w string) bool {
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		return isOption(w) && (name == "help" || name == "h")
	})
}

// noHelpHeadings takes the help headings (categories) off cmd's flags.
func noHelpHeadings(cmd *cli.Command) {
	for _, f := range cmd.Flags {
		*fieldsOf(f).category = ""
	}
}

// showOtherCommands are the commands that print other commands' flags.
var showOtherCommands = []string{"help", "completion"}

// commandNames lists the commands for messages: "wait, check or version".
func commandNames(app *cli.App) string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format on stderr: text or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "log errors only"},
		terminationFlag(),
	}
}
