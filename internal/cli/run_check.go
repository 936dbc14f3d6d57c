package cli

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/checks"
	"github.com/initbox/initbox/fetch"
	"github.com/initbox/initbox/internal/lazy"
	"github.com/initbox/initbox/internal/redact"
	"github.com/initbox/initbox/internal/spec"
)

// validators check a step's command line as its command does before any
// work (targets, options, URLs, templates), and do nothing else.
var validators = map[string]func(*cli.Context, *env) error{
	"wait": func(c *cli.Context, _ *env) error {
		if _, err := parseTargets(c); err != nil {
			return err
		}
		p := checks.Policy{AttemptTimeout: c.Duration("attempt-timeout"), MinInterval: c.Duration("interval"), MaxInterval: c.Duration("max-interval")}
		return validatePolicy(p, c.Duration("timeout"))
	},
	"check": func(c *cli.Context, _ *env) error {
		if _, err := parseTargets(c); err != nil {
			return err
		}
		if d := c.Duration("timeout"); d <= 0 {
			return usagef("--timeout %v: want a positive duration such as 5s", d)
		}
		return nil
	},
	"fetch": func(c *cli.Context, _ *env) error {
		_, opts, err := parseFetch(c)
		if err == nil {
			_, err = fetch.New(opts)
		}
		return err
	},
	"render": func(c *cli.Context, e *env) error {
		jobs, err := renderJobs(c)
		if err != nil {
			return err
		}
		if _, err := renderOptions(c); err != nil {
			return err
		}
		_, err = writeOptions(c, jobs, e)
		return err
	},
}

// validate checks every step before any runs, and reports every mistake
// at its line. A path that an earlier step writes need not exist yet.
func validate(sp *spec.Spec, command []string) error {
	v := &validation{file: sp.File}
	for i, s := range sp.Steps {
		v.step(s)
		if s.Kind == execKind && i == len(sp.Steps)-1 && command != nil {
			v.add(s, "", s.Line, `the last step replaces initbox, and so would the command after "--": give one of them`)
		}
	}
	return v.errs.Err()
}

type validation struct {
	file     string
	written  []string // paths earlier steps write (files or directories)
	afterRun bool     // an exec step ran before: it may write anything
	errs     spec.Errors
}

func (v *validation) add(s *spec.Step, key string, line int, msg string) {
	v.errs = append(v.errs, &spec.Error{File: v.file, Line: line, Step: s.String(), Key: key, Msg: msg})
}

// step validates s, unless parsing found it wrong already; the members of
// a group see only what steps before the group write.
func (v *validation) step(s *spec.Step) {
	if s.Kind == spec.Group {
		written, afterRun := v.written, v.afterRun
		for _, m := range s.Steps {
			v.step(m)
			v.written, v.afterRun = written, afterRun
		}
		for _, m := range s.Steps {
			v.wrote(m)
		}
		return
	}
	if s.Invalid {
		v.wrote(s)
		return
	}
	switch s.Kind {
	case execKind:
		v.program(s)
	case "render":
		v.templates(s)
	}
	if validator := validators[s.Kind]; validator != nil {
		if err := validateCommand(s, validator); err != nil && !v.mayExist(err.Error()) {
			v.errs = append(v.errs, locate(v.file, s, err))
		}
	}
	v.wrote(s)
}

// validateCommand runs the step's command line through its command's own
// flag parsing and checks, with validator as its action.
func validateCommand(s *spec.Step, validator func(*cli.Context, *env) error) error {
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	cmd := stepCommands(e)[s.Kind]
	cmd.Action = e.action(validator)
	return stepApp(e, cmd).Run(stepArgv(s))
}

// wrote notes the paths s writes, for the steps after it.
func (v *validation) wrote(s *spec.Step) {
	if s.Kind == execKind {
		v.afterRun = true
	}
	if s.Kind != "fetch" && s.Kind != "render" {
		return
	}
	for _, key := range []string{"output", "dir", "output-dir"} {
		if o, ok := s.Option(key); ok {
			v.written = append(v.written, filepath.Clean(o.Values[0].Text))
		}
	}
	for _, a := range s.Args {
		if _, path, ok := splitPair(a.Text); ok && s.Kind == "fetch" {
			v.written = append(v.written, filepath.Clean(path))
		}
	}
}

// mayExist reports whether a complaint about a missing path may be about
// one an earlier step writes.
func (v *validation) mayExist(msg string) bool {
	for _, w := range v.written {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

func (v *validation) missing(path string) bool {
	if v.afterRun {
		return false
	}
	clean := filepath.Clean(path)
	for _, w := range v.written {
		if clean == w || strings.HasPrefix(clean, w+"/") {
			return false
		}
	}
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

func (v *validation) templates(s *spec.Step) {
	for _, a := range s.Args {
		if v.missing(a.Text) {
			v.add(s, argKey(s), a.Line, "template "+a.Text+" does not exist")
		}
	}
}

func (v *validation) program(s *spec.Step) {
	prog := s.Args[0]
	switch {
	case strings.ContainsRune(prog.Text, ' ') && len(s.Args) == 1:
		v.add(s, "command", prog.Line, `give the program and its arguments as a list: [/app/server, --port, "8080"]`)
	case strings.Contains(prog.Text, "/"):
		if v.missing(prog.Text) {
			v.add(s, "command", prog.Line, prog.Text+" does not exist")
		}
	case v.afterRun:
	default:
		if _, err := exec.LookPath(prog.Text); err != nil {
			v.add(s, "command", prog.Line, prog.Text+" is not in $PATH")
		}
	}
}

var flagWord = lazy.Regexp(`(^|[\s("'])(--?[a-z0-9][a-z0-9-]*)`)

// locate turns a command's complaint into a spec error at the line of
// the key or value it is about, naming keys instead of flags.
func locate(file string, s *spec.Step, err error) *spec.Error {
	msg := strings.TrimSuffix(withFlags(err.Error()), " (see initbox "+s.Kind+" --help)")
	e := &spec.Error{File: file, Line: s.Line, Step: s.String()}
	aliases := map[string]string{"o": "output"}
	msg = flagWord().ReplaceAllStringFunc(msg, func(m string) string {
		sub := flagWord().FindStringSubmatch(m)
		name := strings.TrimLeft(sub[2], "-")
		if to, ok := aliases[name]; ok {
			name = to
		}
		if _, ok := s.Option(name); ok && e.Key == "" {
			o, _ := s.Option(name)
			e.Key, e.Line = name, o.Line
		}
		if !strings.HasPrefix(sub[2], "--") && aliases[strings.TrimLeft(sub[2], "-")] == "" {
			return m
		}
		return sub[1] + name
	})
	if e.Key == "" {
		for _, a := range s.Args {
			if strings.Contains(msg, a.Text) || strings.Contains(msg, redact.URL(a.Text)) {
				e.Key, e.Line = argKey(s), a.Line
				break
			}
		}
	}
	e.Msg = strings.TrimPrefix(msg, e.Key+" ")
	return e
}

// argKey names a step's positional arguments in messages.
func argKey(s *spec.Step) string {
	a := stepArgs[s.Kind]
	if len(s.Args) == 1 && a.One != "" {
		return a.One
	}
	return a.Many
}
