package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/spec"
)

const runExamples = `Example (init.yaml):
   deadline: 5m
   steps:
     - parallel:
         - wait: {targets: ["tcp://db:5432"], timeout: 2m}
         - wait: {targets: ["http://api:8080/healthz"], status: "200"}
     - name: model
       fetch: {url: https://example.com/m.bin, sha256: 9f86d08…, output: /shared/m.bin}
     - name: config
       render: {template: /templates/app.conf.tmpl, output: /shared/app.conf}
     - exec: {command: [/app/server, --config, /shared/app.conf]}

   initbox run init.yaml          run it; the last exec step replaces initbox
   initbox run --check init.yaml  validate only
   initbox run --dry-run -        print the plan of the file on stdin`

// maxSpecSize bounds the file: an init sequence is a page, not a dataset.
const maxSpecSize = 1 << 20

var runHelp = commandHelp{
	usage: "run a whole init sequence from one YAML or JSON file",
	forms: []string{"[options] [FILE] [-- COMMAND [ARG...]]"},
	about: []string{"Steps run in order; a step is wait, check, fetch, render or exec, with the options of\n" +
		"the command's flags as keys, or a parallel group of steps. The whole file is checked\n" +
		"before anything runs (exit 2, naming FILE:LINE, step and key). The first step that\n" +
		"fails stops the run with its exit code. ${VAR} and ${VAR:-default} take values from\n" +
		"the environment; steps read no INITBOX_* variables. FILE is - for stdin; without\n" +
		"FILE, $INITBOX_SPEC names it.",
		runExamples},
}

func runCommand(e *env) *cli.Command {
	return e.newCommand("run", runHelp, []cli.Flag{
		&cli.BoolFlag{Name: "check", Usage: "validate the file and stop: exit 0, or 2 with every mistake"},
		&cli.BoolFlag{Name: "dry-run", Usage: "validate, then print the plan on stdout and stop"},
		&cli.BoolFlag{Name: "schema", Usage: "print the JSON Schema of the file on stdout and stop"},
	}, runSpec)
}

func runSpec(c *cli.Context, e *env) error {
	if c.Bool("schema") {
		b, err := spec.Schema(schemaID, stepKinds())
		if err == nil {
			_, err = e.stdout.Write(b)
		}
		return err
	}
	sp, err := checkedSpec(c, e)
	switch {
	case err != nil:
		return err
	case c.Bool("check"):
		e.log.Info("valid", "file", sp.File)
		return nil
	case c.Bool("dry-run"):
		return sp.Plan(e.stdout, planArgv)
	}
	if err := e.checkCommandArgs(); err != nil {
		return err
	}
	ctx := c.Context // cancelled by SIGTERM: see WithSignals
	if sp.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, sp.Deadline, &runDeadline{sp.Deadline})
		defer cancel()
	}
	r := &runner{e: e, results: map[*spec.Step]*result{}}
	code, failed := r.run(ctx, sp)
	r.summary(sp, code)
	if code != ExitOK {
		return &stepError{file: sp.File, step: failed.String(), code: code}
	}
	return nil
}

// checkedSpec loads the file and checks every step, logging every mistake
// of the file (exit 2) at once: the parser's and the commands' together.
func checkedSpec(c *cli.Context, e *env) (*spec.Spec, error) {
	sp, err := loadSpec(c)
	var es spec.Errors
	if err != nil && !errors.As(err, &es) {
		return nil, err
	}
	if sp != nil {
		var more spec.Errors
		if errors.As(validate(sp, e.command), &more) {
			es = append(es, more...)
		}
	}
	if err := es.Err(); err != nil {
		e.reportSpec(err.(spec.Errors))
		return nil, loggedErr(kindFailed, err) // a usage error: exit 2
	}
	return sp, nil
}

// stepError ends a run whose step failed, with that step's exit code: the
// step has logged why, and this says which step it was.
type stepError struct {
	file, step string
	code       int
}

func (e *stepError) Error() string {
	return fmt.Sprintf("%s: %s failed (exit %d)", e.file, e.step, e.code)
}

// loadSpec reads and parses FILE, "-" (stdin) or $INITBOX_SPEC.
func loadSpec(c *cli.Context) (*spec.Spec, error) {
	name := c.Args().First()
	if c.NArg() > 1 {
		return nil, usagef("one FILE, not %d arguments (a command to run goes after \"--\")", c.NArg())
	}
	if name == "" {
		name = os.Getenv("INITBOX_SPEC")
	}
	var r io.Reader
	switch name {
	case "":
		return nil, usagef("no file: give FILE, - for stdin, or set INITBOX_SPEC")
	case "-":
		r, name = os.Stdin, "<stdin>"
	default:
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("cannot read the file: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSpecSize+1))
	switch {
	case err != nil:
		return nil, usagef("reading %s: %v", name, err)
	case len(data) > maxSpecSize:
		return nil, usagef("%s is larger than %d bytes: is it the right file?", name, maxSpecSize)
	}
	return spec.Parse(name, data, stepKinds(), os.LookupEnv)
}

// reportSpec logs every mistake of a file, one per line.
func (e *env) reportSpec(es spec.Errors) {
	for _, err := range es {
		if e.json {
			e.log.Error(err.Error())
		} else {
			fmt.Fprintf(e.stderr, "initbox: %v\n", err)
		}
	}
}

// summary writes the table of steps: what became of each and how long it
// took. Quiet runs show it only when a step failed.
func (r *runner) summary(sp *spec.Spec, code int) {
	if code == ExitOK && !r.e.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	var tw *tabwriter.Writer
	if !r.e.json {
		tw = tabwriter.NewWriter(r.e.stderr, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tNAME\tKIND\tRESULT\tTIME")
	}
	spec.Walk(sp.Steps, func(s *spec.Step) {
		res := r.results[s]
		if res == nil {
			res = &result{state: "not run"}
		}
		state, took := res.state, ""
		if res.code != ExitOK && res.state != "cancelled" {
			state = fmt.Sprintf("%s (exit %d)", state, res.code)
		}
		if res.elapsed > 0 {
			took = res.elapsed.Round(time.Millisecond).String()
		}
		if tw == nil {
			r.e.log.Info("summary", "step", s.Label(), "kind", s.Kind, "result", res.state, "exit", res.code, "elapsed", took)
			return
		}
		name := s.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Num, name, s.Kind, state, took)
	})
	if tw != nil {
		tw.Flush()
	}
}

// runDeadline is the cause the file's deadline gives its context: a
// context.DeadlineExceeded (124) that says which limit passed.
type runDeadline struct{ d time.Duration }

func (e *runDeadline) Error() string {
	return fmt.Sprintf("the file's deadline of %s passed", spec.FormatDuration(e.d))
}
func (e *runDeadline) Unwrap() error { return context.DeadlineExceeded }
