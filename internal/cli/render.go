package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/lazy"
	"github.com/initbox/initbox/internal/redact"
	"github.com/initbox/initbox/render"
)

const renderExamples = `Examples:
   initbox render -o /etc/nginx/nginx.conf nginx.conf.tmpl
   initbox render --data cfg=/etc/config/app.yaml -o /work/app.json app.json.tmpl
   initbox render --input-dir /templates --output-dir /config --trim-suffix .tmpl
   initbox render --envsubst -o /etc/nginx/conf.d/default.conf default.conf.template
   initbox render --validate 'nginx -t -q -c {}' -o /etc/nginx/nginx.conf nginx.conf.tmpl
   initbox render --check -o /etc/app.conf app.conf.tmpl    (exit 1 if it would change)

Templates are Go text/template with Helm's functions (default, required, quote,
indent, toYaml, include, tpl, ...). The environment is .Env.NAME (an error if
unset) or env "NAME" ("" if unset); --data NAME=PATH is .NAME. A missing value
anywhere is an error that lists every missing value with file and line, and
nothing is written. Outputs that would not change are not touched.`

var renderHelp = commandHelp{
	usage: "render templates strictly; write atomically, and only what changed",
	forms: []string{"[options] TEMPLATE... [-- COMMAND [ARG...]]"},
	about: []string{"Renders every template in memory first; then writes each changed output through a\n" +
		"temp file and a rename. Without -o or --output-dir, output goes to stdout.",
		renderExamples},
}

func renderCommand(e *env) *cli.Command {
	return e.newCommand("render", renderHelp, renderFlags(), runRender)
}

func renderFlags() []cli.Flag {
	out, data, check, syntax := "Output", "Data", "Checks", "Syntax"
	return []cli.Flag{
		&cli.StringFlag{Category: out, Name: "output", Aliases: []string{"o"}, Usage: `output file for the one TEMPLATE ("-": stdout)`},
		&cli.StringFlag{Category: out, Name: "input-dir", Usage: "render every template in this directory tree"},
		&cli.StringFlag{Category: out, Name: "output-dir", Usage: "write outputs here, at the templates' relative paths"},
		&cli.StringSliceFlag{Category: out, Name: "include", Usage: "with --input-dir: only files matching this glob (a pattern without / matches base names; repeatable)"},
		&cli.StringSliceFlag{Category: out, Name: "exclude", Usage: "with --input-dir: skip files matching this glob (repeatable)"},
		&cli.StringFlag{Category: out, Name: "trim-suffix", Usage: "cut this suffix from output names, e.g. .tmpl"},
		&cli.StringFlag{Category: out, Name: "max-output", Value: "64MiB", Usage: "fail a template whose output, or any value it builds, grows larger than this (0: no limit)"},
		&cli.StringFlag{Category: out, Name: "chmod", Usage: "mode of the outputs, octal (default: an existing file's, 0644 for new files)"},
		&cli.StringSliceFlag{Category: data, Name: "data", Usage: "NAME=PATH: a .json, .yaml or text file, or a directory (a mounted ConfigMap), as .NAME (repeatable)"},
		&cli.StringSliceFlag{Category: data, Name: "allow-dir", Usage: "directory the file function may read (repeatable; default: none)"},
		&cli.BoolFlag{Category: check, Name: "check", Usage: "write nothing; exit 1 if any output would change"},
		&cli.BoolFlag{Category: check, Name: "diff", Usage: "write nothing; print a unified diff of what would change to stdout (values of variables named like secrets, *PASSWORD*, *TOKEN*, *KEY*…, and URL passwords show as xxxxx)"},
		&cli.StringFlag{Category: check, Name: "validate", Usage: `command run on each changed output before it is moved into place; {} is the file, e.g. "nginx -t -c {}"`},
		&cli.DurationFlag{Category: check, Name: "timeout", Value: time.Minute, Usage: "give up after this long (0: never); exit 124"},
		&cli.BoolFlag{Category: syntax, Name: "envsubst", Usage: "replace ${VAR}, ${VAR:-default}, ${VAR:?error} of set variables instead of Go templates; $VAR stays"},
		&cli.StringSliceFlag{Category: syntax, Name: "envsubst-prefix", Usage: "with --envsubst: only touch variables with this prefix (repeatable)"},
		&cli.StringFlag{Category: syntax, Name: "left-delim", Value: "{{", Usage: "left template delimiter"},
		&cli.StringFlag{Category: syntax, Name: "right-delim", Value: "}}", Usage: "right template delimiter"},
	}
}

func runRender(c *cli.Context, e *env) error {
	jobs, err := renderJobs(c)
	if err != nil {
		return err
	}
	opts, err := renderOptions(c)
	if err != nil {
		return err
	}
	wo, err := writeOptions(c, jobs, e)
	if err != nil {
		return err
	}
	if err := e.checkCommandArgs(); err != nil {
		return err
	}
	tuneGC()
	ctx := c.Context // cancelled by SIGTERM: see WithSignals
	if d := c.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &timeoutError{d})
		defer cancel()
	} else if d < 0 {
		return usagef("--timeout %v: want 0 (no limit) or a positive duration such as 1m", d)
	}
	outs, err := render.Render(ctx, opts, jobs)
	if err != nil {
		return e.renderFailed(err)
	}
	for _, o := range outs {
		if o.Dest == "" {
			if _, err := e.stdout.Write(o.Data); err != nil {
				return fmt.Errorf("writing to stdout: %w", err)
			}
		}
	}
	res, err := render.Apply(ctx, outs, wo)
	if err != nil {
		// The deadline or a signal decides the exit code, even when what
		// failed does not say so.
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			return fmt.Errorf("%w: %v", cause, err)
		}
		return err
	}
	return e.renderVerdict(c, res, len(outs))
}

// timeoutError is the cause --timeout gives its deadline, so that messages
// say which limit stopped the work; it is a context.DeadlineExceeded (124).
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("timed out after %v (--timeout)", e.d) }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// tuneGC trades memory for speed within a bound, unless GOGC or GOMEMLIMIT
// say otherwise: a thousand small templates allocate some 15 MB in short
// order, and collecting at every 4 MB costs a third of the run; the limit
// keeps a large output within 64 MiB.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
}

// renderJobs turns the arguments into the templates to render and where.
func renderJobs(c *cli.Context) ([]render.Job, error) {
	in, outDir, out := c.String("input-dir"), c.String("output-dir"), c.String("output")
	args := c.Args().Slice()
	switch {
	case in != "" && len(args) > 0:
		return nil, usagef("give either --input-dir or TEMPLATE arguments, not both")
	case in != "" && outDir == "":
		return nil, usagef("--input-dir needs --output-dir")
	case out != "" && (in != "" || outDir != ""):
		return nil, usagef("-o names one output file; it does not go with --input-dir or --output-dir")
	case in == "" && len(args) == 0:
		return nil, usagef("no templates: give TEMPLATE files or --input-dir (see initbox render --help)")
	case out != "" && out != "-" && len(args) != 1:
		return nil, usagef("-o %s names one output file, but %d templates were given (use --output-dir)", out, len(args))
	case (len(c.StringSlice("include")) > 0 || len(c.StringSlice("exclude")) > 0) && in == "":
		return nil, usagef("--include and --exclude select files of --input-dir")
	}
	if in != "" {
		if fi, err := os.Stat(in); err != nil || !fi.IsDir() {
			return nil, usagef("--input-dir %s: not a readable directory", in)
		}
		jobs, err := render.Tree(render.TreeOptions{In: in, Out: outDir,
			Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"), TrimSuffix: c.String("trim-suffix"),
			NoHelpers: c.Bool("envsubst")})
		if err != nil {
			return nil, usagef("--input-dir %s: %v", in, err)
		}
		return jobs, nil
	}
	jobs := make([]render.Job, len(args))
	seen := map[string]bool{}
	for i, a := range args {
		jobs[i] = render.Job{Src: a}
		switch {
		case outDir != "":
			jobs[i].Dest = filepath.Join(outDir, strings.TrimSuffix(filepath.Base(a), c.String("trim-suffix")))
		case out != "-":
			jobs[i].Dest = out
		}
		if jobs[i].Dest != "" && seen[jobs[i].Dest] {
			return nil, usagef("two templates would write %s", jobs[i].Dest)
		}
		seen[jobs[i].Dest] = true
	}
	return jobs, nil
}

var dataName = lazy.Regexp(`^[A-Za-z_][A-Za-z0-9_]*$`)

func renderOptions(c *cli.Context) (render.Options, error) {
	opts := render.Options{
		Env:              environ(),
		AllowDirs:        c.StringSlice("allow-dir"),
		LeftDelim:        c.String("left-delim"),
		RightDelim:       c.String("right-delim"),
		Envsubst:         c.Bool("envsubst"),
		EnvsubstPrefixes: c.StringSlice("envsubst-prefix"),
	}
	var err error
	if opts.MaxOutput, err = parseSize("--max-output", c.String("max-output")); err != nil {
		return opts, err
	}
	if opts.LeftDelim == "" || opts.RightDelim == "" {
		return opts, usagef("--left-delim and --right-delim must not be empty")
	}
	if len(opts.EnvsubstPrefixes) > 0 && !opts.Envsubst {
		return opts, usagef("--envsubst-prefix needs --envsubst")
	}
	for _, d := range opts.AllowDirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return opts, usagef("--allow-dir %s: not a readable directory", d)
		}
	}
	specs := c.StringSlice("data")
	if len(specs) > 0 && opts.Envsubst {
		return opts, usagef("--data is for templates; --envsubst reads only the environment")
	}
	opts.Data = map[string]any{}
	for _, s := range specs {
		name, path, ok := strings.Cut(s, "=")
		switch {
		case !ok || path == "":
			return opts, usagef("--data %q: want NAME=PATH, e.g. cfg=/etc/config/app.yaml", s)
		case !dataName().MatchString(name) || name == "Env":
			return opts, usagef("--data %q: NAME must be letters, digits and _ (and not Env), to be usable as .NAME", s)
		case has(opts.Data, name):
			return opts, usagef("--data %s given twice", name)
		}
		v, err := render.LoadData(path)
		if err != nil {
			return opts, usagef("--data %s: %v", name, err)
		}
		opts.Data[name] = v
	}
	return opts, nil
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func writeOptions(c *cli.Context, jobs []render.Job, e *env) (render.WriteOptions, error) {
	wo := render.WriteOptions{Log: e.log, DryRun: c.Bool("check") || c.Bool("diff")}
	if c.Bool("diff") {
		wo.Diff = e.stdout
	}
	if c.Bool("diff") || c.String("validate") != "" {
		// Only the diff and a validator's output show rendered values.
		wo.Hide = redact.EnvSecrets(environ())
	}
	toStdout := false
	for _, j := range jobs {
		toStdout = toStdout || (j.Dest == "" && !j.Helper)
	}
	for _, f := range []string{"check", "diff", "chmod", "validate"} {
		if toStdout && c.IsSet(f) {
			return wo, usagef("--%s needs output files (-o or --output-dir), not stdout", f)
		}
	}
	if s := c.String("chmod"); s != "" {
		m, err := strconv.ParseUint(s, 8, 32)
		if err != nil || m > 0o777 || m == 0 {
			return wo, usagef("--chmod %q: want an octal mode from 0400 to 0777, e.g. 0644", s)
		}
		wo.Mode = os.FileMode(m)
	}
	if s := c.String("validate"); s != "" {
		argv, err := render.SplitCommand(s)
		if err != nil {
			return wo, usagef("--validate %q: %v", s, err)
		}
		wo.Validate = argv
	}
	return wo, nil
}

// maxLogged is how many problems are logged one by one: a template of
// thousands of lines with the wrong environment would drown the log.
const maxLogged = 100

// renderFailed logs every problem, then says nothing was written.
func (e *env) renderFailed(err error) error {
	var (
		syn  *render.SyntaxError
		bad  *render.Error
		ps   []render.Problem
		what = "render failed"
	)
	switch {
	case errors.As(err, &syn):
		ps, what = syn.Problems, "bad template"
	case errors.As(err, &bad):
		ps = bad.Problems
	default: // interrupted or timed out, before anything was written
		return fmt.Errorf("%w; nothing was written", err)
	}
	for i, p := range ps {
		if i == maxLogged {
			e.log.Error(fmt.Sprintf("%s: and %d more", what, len(ps)-i))
			break
		}
		e.log.Error(what, "at", location(p), "error", p.Msg)
	}
	e.log.Error(what+"; nothing was written", "problems", len(ps))
	return loggedErr(kindFailed, err)
}

func location(p render.Problem) string {
	return strings.TrimSuffix(render.Problem{Template: p.Template, Line: p.Line, Col: p.Col}.String(), ": ")
}

// renderVerdict logs the summary line and, for --check, fails if anything
// would change.
func (e *env) renderVerdict(c *cli.Context, res render.Result, n int) error {
	changed, unchanged := len(res.Changed), len(res.Unchanged)
	if !c.Bool("check") && !c.Bool("diff") {
		if changed+unchanged > 0 {
			e.log.Info("rendered", "changed", changed, "unchanged", unchanged)
		}
		return nil
	}
	for _, f := range res.Changed {
		e.log.Info("would change", "file", f)
	}
	e.log.Info("checked", "would_change", changed, "unchanged", unchanged)
	if c.Bool("check") && changed > 0 {
		return &failure{kind: kindFailed, err: fmt.Errorf("%d of %d outputs would change", changed, n)}
	}
	return nil
}
