package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"
)

// env is what a command may touch of the process: its output streams and
// the logger built from the global flags.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	command        []string // after "--"; nil if none was given
	json           bool     // logs are JSON
	hints          kubeHints
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:      "initbox",
		Usage:     "wait for dependencies, fetch files, render config — for init containers and healthchecks",
		UsageText: "initbox [global options] command [options] [arguments...] [-- COMMAND [ARG...]]",
		Description: "Every option can also be set by an environment variable, shown in [brackets].\n" +
			"Exit codes: 0 success, 1 failure, 2 usage error, 124 timed out, 130/143 interrupted.",
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Flags:     globalFlags(),
		Before: func(c *cli.Context) error {
			return e.setupLog(c)
		},
		Commands:        []*cli.Command{waitCommand(e), checkCommand(e), fetchCommand(e), renderCommand(e), versionCommand(e)},
		HideHelpCommand: true,
		// The library must never exit the process or print errors on its
		// own: run maps errors to exit codes and messages in one place.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// Reached only when no command matched.
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				_ = cli.ShowAppHelp(c)
				return usagef("missing command: %s", commandNames(c.App))
			}
			return usagef("unknown command %q (want %s; see initbox --help)", c.Args().First(), commandNames(c.App))
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsageError
		// The global flags work after the command too: "initbox wait -q".
		cmd.Flags = append(cmd.Flags, globalFlags()...)
		cmd.Before = e.setupLog
		loadRootsBefore(cmd)
	}
	return app
}

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

func onUsageError(c *cli.Context, err error, _ bool) error {
	return &usageError{fmt.Errorf("%v (see initbox %s --help)", err, c.Command.Name)}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format on stderr: text or json", EnvVars: []string{"INITBOX_LOG_FORMAT"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "log errors only", EnvVars: []string{"INITBOX_QUIET"}},
	}
}

func (e *env) setupLog(c *cli.Context) error {
	level := slog.LevelInfo
	if anyBool(c, "quiet") {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(lastString(c, "log-format")) {
	case "text":
		e.log = slog.New(slog.NewTextHandler(e.stderr, opts))
	case "json":
		e.json = true
		e.log = slog.New(slog.NewJSONHandler(e.stderr, opts))
	default:
		return usagef("--log-format %q: want text or json", lastString(c, "log-format"))
	}
	return nil
}

// anyBool reports whether a flag defined both globally and on the command
// is true at either level.
func anyBool(c *cli.Context, name string) bool {
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Bool(name) {
			return true
		}
	}
	return c.Bool(name)
}

// lastString returns a flag given on the command if set there, else the
// global one (which also carries its environment variable and default).
func lastString(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name)
		}
	}
	return c.String(name)
}

// reportError logs why the command failed, unless the command already did.
func (e *env) reportError(err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.logged {
		return
	}
	if e.json && e.log != nil {
		e.log.Error(err.Error())
		return
	}
	// Plain text for people at a terminal: no logfmt quoting to unpick.
	fmt.Fprintf(e.stderr, "initbox: %v\n", err)
}
