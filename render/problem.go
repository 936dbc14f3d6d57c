package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/initbox/initbox/internal/lazy"
)

// Problem is one thing wrong in a template: a missing value, a failed
// function, a syntax error. It names keys and positions, never values.
type Problem struct {
	Template  string // the template's name (its path as given, or relative to --input-dir)
	Line, Col int    // 0 if unknown
	Expr      string // the expression at fault, as written, if known
	Msg       string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Template)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteString(":" + strconv.Itoa(p.Col))
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found while rendering; when Render returns it,
// nothing has been written.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string { return summarize("render failed", e.Problems) }

// SyntaxError lists templates that do not parse: a usage error.
type SyntaxError struct {
	Problems []Problem
}

func (e *SyntaxError) Error() string { return summarize("bad template", e.Problems) }

// Usage reports true: a template that does not parse is the caller's
// mistake, found before anything is written.
func (e *SyntaxError) Usage() bool { return true }

func summarize(what string, ps []Problem) string {
	files := map[string]bool{}
	for _, p := range ps {
		files[p.Template] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s in %d %s", what, len(ps), plural(len(ps), "problem"), len(files), plural(len(files), "template"))
	for _, p := range ps {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// execErrRE picks apart text/template's execution errors,
// `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE`, to
// drop the context: after the rewrite it shows internal calls.
var execErrRE = lazy.Regexp(`^template: (.*?:\d+(?::\d+)?): executing "[^"]*" at <.*?>: (.*)$`)

// problemOf turns an error from parsing or executing into a Problem.
func problemOf(name string, err error) Problem {
	msg := err.Error()
	if m := execErrRE().FindStringSubmatch(msg); m != nil {
		file, line, col := splitLoc(m[1])
		if col >= 0 {
			col++ // text/template counts columns from 0
		}
		return Problem{Template: file, Line: line, Col: col, Msg: cleanMsg(innermost(m[2]))}
	}
	if rest, ok := strings.CutPrefix(msg, "template: "); ok {
		// Parse errors: "template: NAME:LINE: MESSAGE".
		if i := strings.Index(rest, ": "); i >= 0 {
			file, line, col := splitLoc(rest[:i])
			if line > 0 {
				return Problem{Template: file, Line: line, Col: col, Msg: cleanMsg(rest[i+2:])}
			}
		}
		msg = rest
	}
	return Problem{Template: name, Msg: cleanMsg(msg)}
}

// innermost shortens the error of an include or tpl call that failed
// inside the template it ran: text/template repeats the whole chain, which
// for a runaway recursion is a hundred levels deep. What is left is the
// error and where, inside, it happened.
func innermost(msg string) string {
	where := ""
	for {
		rest, ok := strings.CutPrefix(msg, "error calling include: ")
		if !ok {
			rest, ok = strings.CutPrefix(msg, "error calling tpl: ")
		}
		m := execErrRE().FindStringSubmatch(rest)
		if !ok || m == nil {
			break
		}
		where, msg = m[1], m[2]
	}
	if where == "" {
		return msg
	}
	file, line, col := splitLoc(where)
	file = tplNumber().ReplaceAllString(file, "") // "NAME (tpl) #3": the number only keeps names apart
	return fmt.Sprintf("%s (at %s:%d:%d)", msg, file, line, col+1)
}

var tplNumber = lazy.Regexp(` #\d+$`)

// cleanMsg hides the internal names of the rewrite.
func cleanMsg(s string) string {
	s = strings.ReplaceAll(s, "error calling "+fnRequired, "error calling required")
	s = strings.ReplaceAll(s, "error calling "+fnGet, "error calling index")
	s = strings.ReplaceAll(s, "error calling "+fnOut+": ", "")
	return s
}

var errNotRegular = errors.New("not a regular file")
