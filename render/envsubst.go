package render

import (
	"bytes"
	"context"
	"strings"
)

// Envsubst mode replaces ${NAME} references and leaves everything else
// alone, so that nginx's $host and a shell's $1 survive:
//
//	${NAME}           NAME's value if it is set; otherwise left as written
//	${NAME:-default}  NAME's value if set and not empty, else default
//	${NAME-default}   NAME's value if set (even empty), else default
//	${NAME:?message}  NAME's value if set and not empty, else an error
//	${NAME?message}   NAME's value if set, else an error
//	$$                a single $ (so $${NAME} is a literal ${NAME})
//
// $NAME without braces is never replaced. With prefixes, only names that
// start with one of them are touched at all.

func renderEnvsubst(ctx context.Context, opts Options, jobs []Job, texts []string) ([]Output, error) {
	var outs []Output
	var problems []Problem
	for i, j := range jobs {
		if j.Helper {
			continue
		}
		out, ps := envsubst(texts[i], j.name(), opts.Env, opts.EnvsubstPrefixes)
		problems = append(problems, ps...)
		outs = append(outs, Output{Job: j, Data: out})
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
	}
	if len(problems) > 0 {
		return nil, &Error{problems}
	}
	return outs, nil
}

// envsubst renders text; name is for messages.
func envsubst(text, name string, env map[string]string, prefixes []string) ([]byte, []Problem) {
	var out bytes.Buffer
	out.Grow(len(text))
	var problems []Problem
	line := 1
	for {
		i := strings.IndexByte(text, '$')
		if i < 0 {
			out.WriteString(text)
			return out.Bytes(), problems
		}
		line += strings.Count(text[:i], "\n")
		out.WriteString(text[:i])
		text = text[i:]
		if strings.HasPrefix(text, "$$") {
			out.WriteByte('$')
			text = text[2:]
			continue
		}
		ref, n := parseRef(text)
		if n == 0 || !allowed(ref.name, prefixes) {
			out.WriteByte('$')
			text = text[1:]
			continue
		}
		val, ok := ref.expand(env)
		switch {
		case ok:
			out.WriteString(val)
		case ref.op == "?" || ref.op == ":?":
			msg := ref.name + " is not set"
			if ref.op == ":?" {
				msg = ref.name + " is not set or empty"
			}
			if ref.arg != "" {
				msg += ": " + ref.arg
			}
			problems = append(problems, Problem{Template: name, Line: line, Expr: text[:n], Msg: msg})
		default:
			out.WriteString(text[:n]) // unset ${NAME}: left as written
		}
		line += strings.Count(text[:n], "\n")
		text = text[n:]
	}
}

// ref is a parsed ${NAME...} reference.
type ref struct {
	name, op, arg string
}

// parseRef parses the reference at the start of s ("${..."), returning its
// length, or 0 if s does not start with one.
func parseRef(s string) (ref, int) {
	if !strings.HasPrefix(s, "${") {
		return ref{}, 0
	}
	j := 2
	for j < len(s) && isNameByte(s[j], j == 2) {
		j++
	}
	if j == 2 || j == len(s) {
		return ref{}, 0
	}
	r := ref{name: s[2:j]}
	if s[j] == '}' {
		return r, j + 1
	}
	for _, op := range []string{":-", ":?", "-", "?"} {
		if strings.HasPrefix(s[j:], op) {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return ref{}, 0
			}
			r.op, r.arg = op, s[j+len(op):j+end]
			return r, j + end + 1
		}
	}
	return ref{}, 0 // ${NAME/x/y}, ${NAME:+x} and the like: not ours
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

func allowed(name string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// expand returns the reference's value and whether it has one; false
// means "leave it as written" or, for ?, an error.
func (r ref) expand(env map[string]string) (string, bool) {
	val, set := env[r.name]
	switch r.op {
	case "":
		return val, set
	case ":-":
		if set && val != "" {
			return val, true
		}
		return r.arg, true
	case "-":
		if set {
			return val, true
		}
		return r.arg, true
	case ":?":
		return val, set && val != ""
	}
	return val, set // "?"
}
