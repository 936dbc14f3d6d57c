package render

import (
	"sort"
	"strings"
	"text/template/parse"
)

// A site is a place in a template that the rewrite made report problems:
// a field access, an index or required call, a printing action. Its
// position and spelling are worked out only when there is a problem, since
// building them for every access costs more than parsing.
type site struct {
	src  *source
	pos  int
	head string     // the receiver's spelling: "" for dot, "$x", "(pipe)", "index"
	expr string     // the expression, when taken before the rewrite changed it
	node parse.Node // or the node to spell it from, which the rewrite leaves alone
}

// source is a template's text, for positions.
type source struct {
	name, text, rightDelim string
	lines                  []int // where lines start, found on first use
}

// location is the site's file, line and column (both from 1).
func (s *site) location() (string, int, int) {
	src := s.src
	if src.lines == nil {
		src.lines = []int{0}
		for i := 0; i < len(src.text); i++ {
			if src.text[i] == '\n' {
				src.lines = append(src.lines, i+1)
			}
		}
	}
	line := sort.SearchInts(src.lines, s.pos+1) // lines starting at or before pos
	return src.name, line, s.pos - src.lines[line-1] + 1
}

// expression spells the site's expression as written.
func (s *site) expression() string {
	switch {
	case s.expr != "":
		return s.expr
	case s.node != nil:
		return s.node.String()
	}
	// A printing action: its text up to the right delimiter.
	text := s.src.text[min(s.pos, len(s.src.text)):]
	if i := strings.Index(text, s.src.rightDelim); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "-"))
}

// problem is a Problem at the site.
func (s *site) problem(msg string) Problem {
	file, line, col := s.location()
	return Problem{Template: file, Line: line, Col: col, Expr: s.expression(), Msg: msg}
}
