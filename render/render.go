// Package render renders configuration templates strictly and writes them
// atomically, only when they change.
//
// Rendering happens in memory, for every template, before anything is
// written: a missing value anywhere is an error listing every missing
// value with its file and line, and leaves every output as it was. Apply
// then writes each changed output through a temp file and a rename.
package render

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
)

// Options say how templates are rendered. The zero value renders Go
// templates with the default delimiters, no environment and no data.
type Options struct {
	// Env is the environment, as .Env, for env and for envsubst. The
	// caller passes it in: this package never reads the process's.
	Env map[string]string
	// Data are the values of --data, by name: .NAME in templates.
	Data map[string]any
	// AllowDirs are the only directories the file function may read.
	AllowDirs []string
	// LeftDelim and RightDelim replace {{ and }} when set.
	LeftDelim, RightDelim string
	// Envsubst renders ${VAR} references instead of Go templates.
	Envsubst bool
	// EnvsubstPrefixes, if any, limit envsubst to names with one of them.
	EnvsubstPrefixes []string
	// MaxOutput, if positive, limits each output's size in bytes, and
	// the size of every value a template makes (a string, or a list or
	// map printed), so that a value growing without end fails at its
	// line instead of exhausting memory first.
	MaxOutput int64
}

// Job is one template to render.
type Job struct {
	Src    string // the template file
	Name   string // how messages call it; Src if empty
	Dest   string // the output file; "" for stdout
	Helper bool   // only defines templates for the others (Helm's _helpers.tpl); not rendered
}

func (j Job) name() string {
	if j.Name != "" {
		return j.Name
	}
	return j.Src
}

// Output is a rendered template.
type Output struct {
	Job
	Data []byte
}

// maxDepth bounds nested include and tpl calls, as Helm does, so that a
// template including itself fails instead of exhausting the stack.
const maxDepth = 100

// Render renders every job in memory. It returns a *SyntaxError if a
// template cannot be read or parsed, and an *Error listing every problem
// (missing values, failing functions) found in any template.
func Render(ctx context.Context, opts Options, jobs []Job) ([]Output, error) {
	if opts.Envsubst {
		texts, unread := readAll(jobs)
		if len(unread) > 0 {
			return nil, &SyntaxError{unread}
		}
		return renderEnvsubst(ctx, opts, jobs, texts)
	}
	var helpers, work []Job
	for _, j := range jobs {
		if j.Helper {
			helpers = append(helpers, j)
		} else {
			work = append(work, j)
		}
	}
	// Large trees are split between the CPUs, each part with an engine
	// of its own; the parts are contiguous, so problems keep their order.
	parts := min(runtime.GOMAXPROCS(0), (len(work)+minPart-1)/minPart)
	results := make([]partResult, max(parts, 1))
	var wg sync.WaitGroup
	for k := range results {
		lo, hi := k*len(work)/len(results), (k+1)*len(work)/len(results)
		wg.Go(func() { results[k] = renderPart(ctx, opts, helpers, work[lo:hi], k == 0) })
	}
	wg.Wait()
	var outs []Output
	var bad, problems []Problem
	stopped := ""
	for _, r := range results {
		outs = append(outs, r.outs...)
		bad = append(bad, r.bad...)
		problems = append(problems, r.problems...)
		stopped = cmp.Or(stopped, r.stopped)
	}
	switch {
	case len(bad) > 0:
		return nil, &SyntaxError{bad}
	case context.Cause(ctx) != nil && stopped != "":
		return nil, fmt.Errorf("rendering %s: %w", stopped, context.Cause(ctx))
	case context.Cause(ctx) != nil:
		return nil, context.Cause(ctx)
	case len(problems) > 0:
		return nil, &Error{problems}
	}
	return outs, nil
}

// minPart is the fewest templates worth a CPU of their own.
const minPart = 100

type partResult struct {
	outs          []Output
	bad, problems []Problem
	stopped       string // the template the context stopped, if any
}

// renderPart reads, parses and runs some templates, one after the other,
// with the helpers (whose problems only the first part reports).
func renderPart(ctx context.Context, opts Options, helpers, jobs []Job, first bool) partResult {
	all := append(helpers[:len(helpers):len(helpers)], jobs...)
	texts, unread := readAll(all)
	e := newEngine(ctx, opts)
	sets, bad := e.parseAll(all, texts)
	var res partResult
	for _, p := range append(unread, bad...) {
		if first || !isHelper(p.Template, helpers) {
			res.bad = append(res.bad, p)
		}
	}
	if len(bad)+len(unread) > 0 {
		return res
	}
	root := rootData(opts)
	for i, j := range all {
		if j.Helper {
			continue
		}
		data, ps := e.execute(sets[i], j, root, len(texts[i]))
		res.problems = append(res.problems, ps...)
		res.outs = append(res.outs, Output{Job: j, Data: data})
		if ctx.Err() != nil {
			res.stopped = j.name()
			break
		}
	}
	return res
}

func isHelper(name string, helpers []Job) bool {
	for _, h := range helpers {
		if h.name() == name {
			return true
		}
	}
	return false
}

func readAll(jobs []Job) ([]string, []Problem) {
	texts := make([]string, len(jobs))
	var bad []Problem
	for i, j := range jobs {
		b, err := readFile(j.Src)
		if err != nil {
			bad = append(bad, Problem{Template: j.name(), Msg: "cannot read the template: " + pathErr(err)})
		}
		texts[i] = string(b)
	}
	return texts, bad
}

// pathErr is an error without the path, which the message names already.
func pathErr(err error) string { return withoutPath(err).Error() }

// withoutPath is the error inside an *os.PathError (an errno, for
// errors.Is), or err.
func withoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func rootData(opts Options) map[string]any {
	root := make(map[string]any, len(opts.Data)+1)
	for k, v := range opts.Data {
		root[k] = v
	}
	env := opts.Env
	if env == nil {
		env = map[string]string{}
	}
	root["Env"] = env
	return root
}

// engine parses and runs the templates of one Render call, one at a time.
//
// Templates share one template set, base, holding the helpers' defines:
// giving each template a set of its own (a Clone, or Funcs) costs more than
// parsing it. A template that defines templates of its own gets a clone of
// base, so its defines cannot leak into the others.
type engine struct {
	ctx   context.Context
	opts  Options
	base  *template.Template
	known map[*parse.Tree]bool // trees rewritten already
	cur   *run                 // the template being executed
	tpls  map[string]*template.Template
	sites []site
}

func newEngine(ctx context.Context, opts Options) *engine {
	e := &engine{ctx: ctx, opts: opts, known: map[*parse.Tree]bool{}, tpls: map[string]*template.Template{}}
	e.base = template.New("").Delims(opts.LeftDelim, opts.RightDelim).Option("missingkey=error").
		Funcs(limit(opts.MaxOutput).funcs()).Funcs(e.funcs())
	return e
}

// parseAll parses helpers into base, then the templates that define
// templates into clones of it, then the rest into base itself; and
// rewrites every tree for strict execution.
func (e *engine) parseAll(jobs []Job, texts []string) ([]*template.Template, []Problem) {
	sets := make([]*template.Template, len(jobs))
	var bad []Problem
	for i, j := range jobs {
		if j.Helper {
			if _, err := e.base.New(j.name()).Parse(texts[i]); err != nil {
				bad = append(bad, problemOf(j.name(), err))
				continue
			}
			e.rewriteNew(e.base, e.source(j.name(), texts[i]))
		}
	}
	for _, defines := range []bool{true, false} {
		for i, j := range jobs {
			if j.Helper || mayDefine(texts[i]) != defines {
				continue
			}
			set := e.base
			if defines {
				set = template.Must(e.base.Clone()) // fails only after Execute
			}
			t, err := set.New(j.name()).Parse(texts[i])
			if err != nil {
				bad = append(bad, problemOf(j.name(), err))
				continue
			}
			if src := e.source(j.name(), texts[i]); defines {
				e.rewriteNew(t, src)
			} else {
				e.rewriteOne(t.Tree, src)
			}
			sets[i] = t
		}
	}
	return sets, bad
}

// mayDefine says whether text could define named templates.
func mayDefine(text string) bool {
	return strings.Contains(text, "define") || strings.Contains(text, "block")
}

func (e *engine) source(name, text string) *source {
	right := e.opts.RightDelim
	if right == "" {
		right = "}}"
	}
	return &source{name: name, text: text, rightDelim: right}
}

// rewriteNew rewrites the trees of t's set not rewritten yet, all parsed
// from src.
func (e *engine) rewriteNew(t *template.Template, src *source) {
	for _, x := range t.Templates() {
		e.rewriteOne(x.Tree, src)
	}
}

func (e *engine) rewriteOne(t *parse.Tree, src *source) {
	if t != nil && !e.known[t] {
		rewrite(t, src, &e.sites)
		e.known[t] = true
	}
}

// run is the state of one template's execution.
type run struct {
	e        *engine
	tmpl     *template.Template
	name     string
	depth    int
	problems []Problem
	reported map[int]bool // sites that reported a problem
}

// execute runs one template; size is its text's, a guess at the output's.
func (e *engine) execute(t *template.Template, j Job, root map[string]any, size int) ([]byte, []Problem) {
	r := &run{e: e, tmpl: t, name: j.name()}
	e.cur = r
	defer func() { e.cur = nil }()
	w := &limitWriter{ctx: e.ctx, max: limit(e.opts.MaxOutput)}
	w.buf.Grow(size + size/8)
	if err := t.Execute(w, root); err != nil && context.Cause(e.ctx) == nil {
		r.failed(err)
	}
	return w.buf.Bytes(), r.problems
}

// failed records the error that stopped the template, unless it is only
// the consequence of a missing value reported already: a placeholder that
// reached a function such as eq.
func (r *run) failed(err error) {
	p := problemOf(r.name, err)
	if strings.Contains(p.Msg, "render.missing") && len(r.problems) > 0 {
		return
	}
	p.Msg = strings.NewReplacer("render.missing", "a missing value", "render.unset", "no value").Replace(p.Msg)
	r.problems = append(r.problems, p)
}

// include is Helm's: it runs a named template and returns its output.
func (r *run) include(name string, data any) (string, error) {
	if r.depth >= maxDepth {
		return "", fmt.Errorf("include %q: more than %d nested include and tpl calls", name, maxDepth)
	}
	r.depth++
	defer func() { r.depth-- }()
	w := r.valueWriter()
	if err := r.tmpl.ExecuteTemplate(w, name, data); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// tpl is Helm's: it renders a string as a template, with the templates of
// this set available to it. Each text is parsed once, even in a loop.
func (r *run) tpl(text string, data any) (string, error) {
	if r.depth >= maxDepth {
		return "", fmt.Errorf("tpl: more than %d nested include and tpl calls", maxDepth)
	}
	name := r.name + " (tpl)"
	key := r.tmpl.Name() + "\x00" + text
	t, ok := r.e.tpls[key]
	if !ok {
		set := r.tmpl
		if mayDefine(text) {
			var err error
			if set, err = r.tmpl.Clone(); err != nil {
				return "", err
			}
		}
		var err error
		t, err = set.New(fmt.Sprintf("%s #%d", name, len(r.e.tpls))).Parse(text)
		if err != nil {
			return "", errors.New(problemOf(name, err).String())
		}
		if src := r.e.source(name, text); set == r.tmpl {
			r.e.rewriteOne(t.Tree, src)
		} else {
			r.e.rewriteNew(t, src)
		}
		r.e.tpls[key] = t
	}
	r.depth++
	defer func() { r.depth-- }()
	w := r.valueWriter()
	if err := t.Execute(w, data); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// valueWriter collects the output of include or tpl, a value.
func (r *run) valueWriter() *limitWriter {
	return &limitWriter{ctx: r.e.ctx, max: limit(r.e.opts.MaxOutput), value: true}
}

// limitWriter collects what a template or an encoder writes. It stops one
// that runs too long (ctx, if set) or writes more than max.
type limitWriter struct {
	ctx   context.Context
	max   limit
	value bool // what is written is a value (include, tpl, toYaml), not an output
	buf   bytes.Buffer
	err   error // the first error Write returned
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.err == nil {
		w.err = w.room(len(p))
	}
	if w.err != nil {
		return 0, w.err
	}
	return w.buf.Write(p)
}

// room fails if n more bytes may not be written.
func (w *limitWriter) room(n int) error {
	switch {
	case w.ctx != nil && w.ctx.Err() != nil:
		return w.ctx.Err()
	case w.max <= 0 || int64(w.buf.Len()+n) <= int64(w.max):
		return nil
	case w.value:
		return w.max.err()
	}
	return fmt.Errorf("output larger than %d bytes", w.max)
}
