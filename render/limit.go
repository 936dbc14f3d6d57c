package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"

	"github.com/initbox/initbox/internal/option"
	yaml "go.yaml.in/yaml/v3"
)

// limit is Options.MaxOutput (--max-output) applied to values; 0 is none.
//
// A template can make a value far larger than its text long before any
// output reaches the limit: a string doubled in a loop, an include of an
// include, indent of a long text, a list holding another list many times
// over, which prints exponentially large. The process would run out of
// memory first and die without a word on where. So no function may make
// a string larger than an output may be. Those whose result can be many
// times their input (print, printf, indent, replace, join, anything that
// prints a list or map) estimate its size before making it (see sizer);
// those whose result is at most a few times their input (quote, base64,
// escapes) check it after. include, tpl and toYaml write into a
// limitWriter that stops at the limit, and a printing action measures a
// list or map before fmt prints it, whole, into memory.
//
// The checks panic with the error, which text/template makes the error of
// the function call, with its position (documented since Go 1.12). An
// error result would cost every call of every string function an
// allocation, on templates that are fine; the panic costs only those that
// have gone wrong. They are for template functions only.
type limit int64

func (l limit) err() error {
	return fmt.Errorf("the value would exceed %s (%d bytes)", option.MaxOutput, int64(l))
}

// check panics if a value of n bytes would be over the limit.
func (l limit) check(n int64) {
	if l > 0 && n > int64(l) {
		panic(l.err())
	}
}

// fit returns s, if it is within the limit.
func (l limit) fit(s string) string {
	l.check(int64(len(s)))
	return s
}

// sized panics if vs, printed one after the other, would be over the
// limit.
func (l limit) sized(vs ...any) {
	if l <= 0 {
		return
	}
	s := sizer{left: int64(l)}
	for _, v := range vs {
		s.add(v)
	}
	if err := s.err(l); err != nil {
		panic(err)
	}
}

// str is toString for functions: it refuses a list or map whose printed
// form would be over the limit.
func (l limit) str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	l.sized(v)
	return toString(v)
}

// print, printf and println are text/template's, measured first: each
// argument, and in printf each verb, can make the result longer.

func (l limit) print(args ...any) string {
	l.sized(args...)
	return l.fit(fmt.Sprint(args...))
}

func (l limit) println(args ...any) string {
	l.sized(args...)
	return l.fit(fmt.Sprintln(args...))
}

func (l limit) printf(format string, args ...any) string {
	if l > 0 {
		s := sizer{left: int64(l)}
		s.printf(format, args)
		if err := s.err(l); err != nil {
			panic(err)
		}
	}
	return l.fit(fmt.Sprintf(format, args...))
}

// escaper is text/template's html or js: the escape function writes as it
// goes, and stops growing at the limit.
func (l limit) escaper(escape func(io.Writer, []byte)) func(...any) string {
	return func(args ...any) string {
		w := &limitWriter{max: l, value: true}
		escape(w, []byte(l.args(args)))
		if w.err != nil {
			panic(w.err)
		}
		return w.buf.String()
	}
}

func (l limit) urlquery(args ...any) string {
	return l.fit(url.QueryEscape(l.args(args)))
}

// args is how html, js and urlquery read their arguments, as text/template
// does: one string as it is, anything else printed.
func (l limit) args(args []any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	return l.print(args...)
}

// quote is quote and squote: each argument but nil quoted by q, which
// makes it at most a few times longer, with spaces between.
func (l limit) quote(q func(string) string, v []any) string {
	var out []string
	n := -1
	for _, x := range v {
		if x != nil {
			out = append(out, q(l.str(x)))
			n += len(out[len(out)-1]) + 1
			l.check(int64(n))
		}
	}
	return strings.Join(out, " ")
}

// maxIndent bounds indent and nindent, so a typo cannot ask for gigabytes.
const maxIndent = 1024

// indent is measured first: each line of v grows by the width.
func (l limit) indent(n, v any) (string, error) {
	w, err := toInt(n)
	if err != nil || w < 0 || w > maxIndent {
		return "", fmt.Errorf("want a width from 0 to %d", maxIndent)
	}
	s := l.str(v)
	l.check(int64(len(s)) + int64(strings.Count(s, "\n")+1)*int64(w))
	pad := strings.Repeat(" ", w)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
}

func (l limit) nindent(n, v any) (string, error) {
	out, err := l.indent(n, v)
	if err != nil {
		return "", err
	}
	return l.fit("\n" + out), nil
}

// replace is Helm's, `replace OLD NEW S`, measured first.
func (l limit) replace(old, new, v any) string {
	o, n, s := l.str(old), l.str(new), l.str(v)
	if len(n) > len(o) {
		l.check(int64(len(s)) + int64(strings.Count(s, o))*int64(len(n)-len(o)))
	}
	return strings.ReplaceAll(s, o, n)
}

// join is Helm's, `join SEP LIST`, measured as it goes.
func (l limit) join(sep, list any) string {
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return l.str(list)
	}
	s := l.str(sep)
	parts := make([]string, 0, rv.Len())
	n := -len(s)
	for i := range rv.Len() {
		if x := rv.Index(i).Interface(); x != nil {
			parts = append(parts, l.str(x))
			n += len(parts[len(parts)-1]) + len(s)
			l.check(int64(n))
		}
	}
	return strings.Join(parts, s)
}

// toJSON is measured before it is encoded: encoding/json holds all of it
// in memory before it returns.
func (l limit) toJSON(v any) (string, error) {
	l.sized(v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // configs are not HTML: keep < > & as written
	if err := enc.Encode(plain(v)); err != nil {
		return "", fmt.Errorf("cannot encode %s as JSON", kind(v))
	}
	return l.fit(strings.TrimSuffix(b.String(), "\n")), nil
}

// toYAML writes two-space YAML, as Helm does, without the final newline.
// The encoder writes as it goes, so the limit stops it as soon as the
// YAML, with the indentation of nested maps, would be too long.
func (l limit) toYAML(v any) (string, error) {
	w := &limitWriter{max: l, value: true}
	if l > 0 {
		w.max++ // the final newline, which goes
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	err := enc.Encode(plain(v))
	if err == nil {
		err = enc.Close()
	}
	switch {
	case w.err != nil:
		panic(l.err())
	case err != nil:
		return "", fmt.Errorf("cannot encode %s as YAML", kind(v))
	}
	return l.fit(strings.TrimSuffix(w.buf.String(), "\n")), nil
}
