package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/redact"
	"github.com/initbox/initbox/internal/spec"
)

// execKind is the step that runs a program: the last step of a file
// replaces initbox with it, as "-- COMMAND" does; any other runs it as a
// child and waits.
const execKind = "exec"

// schemaID is where the JSON Schema of the file is published: the file
// that TestRunSchema keeps equal to what the flags make.
const schemaID = "https://raw.githubusercontent.com/initbox/initbox/main/docs/run.schema.json"

// stepArgs names the positional arguments of each command a step can be:
// the only keys of a step that are not the command's flag names.
var stepArgs = map[string]spec.Args{
	"wait":   {One: "target", Many: "targets", Required: true, Usage: "the targets, as on the command line: tcp://db:5432, http://api/healthz, …"},
	"check":  {One: "target", Many: "targets", Required: true, Usage: "the targets, each tried once"},
	"fetch":  {One: "url", Many: "urls", Required: true, Usage: "the URLs, or URL=PATH pairs"},
	"render": {One: "template", Many: "templates", Usage: "the template files (or give input-dir)"},
	execKind: {Many: "command", Required: true, Usage: "the program and its arguments, as a list"},
}

// stepCommands builds the commands a step can run, for e: the very
// commands of the command line, so that a step's keys and values are
// those of the flags, with one difference: a step reads no INITBOX_*
// variables, so that a file means the same wherever it runs (it says
// ${VAR} where it wants one).
func stepCommands(e *env) map[string]*cli.Command {
	cmds := map[string]*cli.Command{}
	for _, cmd := range []*cli.Command{waitCommand(e), checkCommand(e), fetchCommand(e), renderCommand(e)} {
		for _, f := range cmd.Flags {
			*flagEnv(f) = nil
		}
		loadRootsBefore(cmd)
		cmds[cmd.Name] = cmd
	}
	return cmds
}

func flagType(f cli.Flag) spec.Type {
	switch f.(type) {
	case *cli.BoolFlag:
		return spec.Bool
	case *cli.IntFlag:
		return spec.Int
	case *cli.DurationFlag:
		return spec.Duration
	case *cli.StringSliceFlag:
		return spec.List
	case *cli.StringFlag:
		return spec.String
	}
	panic(fmt.Sprintf("initbox run: no step key type for flag %T", f))
}

// stepKinds describes each kind of step to the spec parser, from the
// commands' own flags: a step's keys are the flags' long names.
func stepKinds() []spec.Kind {
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	cmds := stepCommands(e)
	var kinds []spec.Kind
	for _, name := range []string{"wait", "check", "fetch", "render"} {
		cmd := cmds[name]
		k := spec.Kind{Name: name, Usage: cmd.Usage, Args: stepArgs[name], Keys: map[string]spec.Key{}, Aliases: map[string]string{}}
		for _, f := range cmd.Flags {
			names := f.Names()
			k.Keys[names[0]] = spec.Key{Type: flagType(f), Usage: flagUsage(f)}
			for _, alias := range names[1:] {
				k.Aliases[alias] = names[0]
			}
		}
		kinds = append(kinds, k)
	}
	return append(kinds, spec.Kind{
		Name:  execKind,
		Usage: "run a program; as the last step, it replaces initbox (same PID), as -- COMMAND does",
		Args:  stepArgs[execKind],
		Keys:  map[string]spec.Key{"timeout": {Type: spec.Duration, Usage: "stop it (SIGTERM) after this long; exit 124 (not for the last step)"}},
	})
}

func flagUsage(f cli.Flag) string {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.GetUsage()
	}
	return ""
}

// stepArgv is the command line that runs step s in-process: its flags,
// then "--" so that no argument is taken for a flag, then its arguments.
func stepArgv(s *spec.Step) []string {
	argv := append([]string{"initbox", s.Kind}, s.Flags()...)
	return append(append(argv, "--"), s.ArgTexts()...)
}

// planArgv is the command line the plan shows for s, its secrets hidden.
func planArgv(s *spec.Step) []string {
	if s.Kind == execKind {
		return s.ArgTexts()
	}
	argv := []string{"initbox", s.Kind}
	for _, o := range s.Options {
		for _, v := range o.Values {
			argv = append(argv, "--"+o.Key+"="+hideValue(o.Key, v.Text))
		}
	}
	for _, a := range s.ArgTexts() {
		argv = append(argv, redact.URL(a))
	}
	return argv
}

// hideValue hides what a plan must not show: passwords, header values and
// URL credentials.
func hideValue(key, v string) string {
	switch {
	case key == "password":
		return "xxxxx"
	case key == "header":
		if name, _, ok := strings.Cut(v, ":"); ok {
			return name + ": xxxxx"
		}
	}
	return redact.URL(v)
}

// stepApp is an app of one command, for running a step's command line
// in-process: its logger and streams are e's, set up by run already. It
// has no help flag or command: urfave/cli shares those between apps, as
// package variables it writes to, and a group runs apps at once. A list
// value is not split at commas: the file's lists are lists already, and
// "Accept: text/html, application/json" is one header.
func stepApp(e *env, cmd *cli.Command) *cli.App {
	cmd.HideHelp = true
	return &cli.App{
		Name:                      "initbox",
		HideHelp:                  true,
		DisableSliceFlagSeparator: true,
		Writer:                    e.stdout,
		ErrWriter:                 e.stderr,
		Commands:                  []*cli.Command{cmd},
		HideHelpCommand:           true,
		ExitErrHandler:            func(*cli.Context, error) {},
	}
}
