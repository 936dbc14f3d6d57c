package render

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
)

// Our own small function set, not sprig: sprig brings some twenty packages
// and megabytes to a binary that must stay near 10 MiB, and many of its
// functions swallow errors (atoi "x" is 0), which a strict renderer must
// not. The names and argument orders are Helm's, so templates carry over;
// where Helm would quietly return a zero value, these return an error.

// funcs are the functions that need nothing from the run but the limit
// on the values they make (see limit), text/template's printing functions
// among them.
func (l limit) funcs() template.FuncMap {
	return template.FuncMap{
		"print":      l.print,
		"printf":     l.printf,
		"println":    l.println,
		"html":       l.escaper(template.HTMLEscape),
		"js":         l.escaper(template.JSEscape),
		"urlquery":   l.urlquery,
		"default":    dflt,
		"empty":      empty,
		"coalesce":   coalesce,
		"ternary":    ternary,
		"quote":      func(v ...any) string { return l.quote(strconv.Quote, v) },
		"squote":     func(v ...any) string { return l.quote(func(s string) string { return "'" + s + "'" }, v) },
		"indent":     l.indent,
		"nindent":    l.nindent,
		"trim":       func(s any) string { return strings.TrimSpace(l.str(s)) },
		"trimAll":    func(cut, s any) string { return strings.Trim(l.str(s), l.str(cut)) },
		"trimPrefix": func(p, s any) string { return strings.TrimPrefix(l.str(s), l.str(p)) },
		"trimSuffix": func(p, s any) string { return strings.TrimSuffix(l.str(s), l.str(p)) },
		"upper":      func(s any) string { return l.fit(strings.ToUpper(l.str(s))) },
		"lower":      func(s any) string { return l.fit(strings.ToLower(l.str(s))) },
		"replace":    l.replace,
		"split":      func(sep, s any) map[string]any { return split(l.str(sep), l.str(s)) },
		"splitList":  func(sep, s any) []any { return splitList(l.str(sep), l.str(s)) },
		"join":       l.join,
		"contains":   func(sub, s any) bool { return strings.Contains(l.str(s), l.str(sub)) },
		"hasPrefix":  func(p, s any) bool { return strings.HasPrefix(l.str(s), l.str(p)) },
		"hasSuffix":  func(p, s any) bool { return strings.HasSuffix(l.str(s), l.str(p)) },
		"toString":   l.str,
		"toJson":     l.toJSON,
		"toYaml":     l.toYAML,
		"fromJson":   func(s any) (any, error) { return fromJSON(l.str(s)) },
		"fromYaml":   func(s any) (any, error) { return fromYAML(l.str(s)) },
		"b64enc":     func(s any) string { return l.fit(base64.StdEncoding.EncodeToString([]byte(l.str(s)))) },
		"b64dec":     func(s any) (string, error) { return b64dec(l.str(s)) },
		"sha256sum":  func(s any) string { sum := sha256.Sum256([]byte(l.str(s))); return hex.EncodeToString(sum[:]) },
		"atoi":       func(s any) (int, error) { return atoi(l.str(s)) },
		"int":        toInt,
		"list":       func(v ...any) []any { return append([]any{}, v...) },
		"dict":       l.dict,
		"hasKey":     func(m, key any) (bool, error) { return hasKey(m, l.str(key)) },
	}
}

// funcs are the functions that need the template being run: its data,
// its problems, its template set. Templates run one at a time; e.cur is
// the one running.
func (e *engine) funcs() template.FuncMap {
	return template.FuncMap{
		fnGet: func(at int, opt bool, recv any, keys ...any) (any, error) {
			return e.cur.get(at, opt, recv, keys...)
		},
		fnOut:      func(at int, v any) (any, error) { return e.cur.out(at, v) },
		fnRequired: func(at int, msg string, v any) (any, error) { return e.cur.required(at, msg, v) },
		fnTick:     func() (bool, error) { return true, e.ctx.Err() },
		"required": func(msg string, v any) (any, error) { return e.cur.required(-1, msg, v) },
		"env":      func(name string) string { return e.opts.Env[name] },
		"file":     func(path string) (string, error) { return e.cur.file(path) },
		"include":  func(name string, data any) (string, error) { return e.cur.include(name, data) },
		"tpl":      func(text string, data any) (string, error) { return e.cur.tpl(text, data) },
		"fail":     func(msg string) (string, error) { return "", errors.New(msg) },
	}
}

// toString is how every function reads a string argument: numbers and
// booleans as written, placeholders and nil as "".
func toString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil, missing, unset:
		return ""
	case []byte:
		return string(s)
	case error:
		return s.Error()
	case fmt.Stringer:
		return s.String()
	}
	return fmt.Sprint(v)
}

// empty is Helm's: nil, zero numbers, false, and empty strings, lists and
// maps are empty.
func empty(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return rv.IsNil()
	}
	return false
}

// dflt is default: `default DEFAULT VALUE` gives VALUE unless it is empty.
func dflt(d any, given ...any) any {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

// coalesce gives its first argument that is not empty; if none is, it
// gives no value, or the placeholder of one already reported missing.
func coalesce(v ...any) any {
	var none any = unset(nil)
	for _, x := range v {
		if _, ok := x.(missing); ok {
			none = x
		}
		if !empty(x) {
			return x
		}
	}
	return none
}

// ternary gives t if cond is true (not empty), else f.
func ternary(t, f, cond any) any {
	if !empty(cond) {
		return t
	}
	return f
}

// split is Helm's: a map with keys _0, _1, ...; splitList gives a list.
func split(sep, s string) map[string]any {
	parts := strings.Split(s, sep)
	m := make(map[string]any, len(parts))
	for i, p := range parts {
		m["_"+strconv.Itoa(i)] = p
	}
	return m
}

func splitList(sep, s string) []any {
	parts := strings.Split(s, sep)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// plain turns placeholders into nil for encoders.
func plain(v any) any {
	switch v.(type) {
	case missing, unset:
		return nil
	}
	return v
}

func fromJSON(s string) (any, error) {
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, err
	}
	return orUnset(v), nil
}

func fromYAML(s string) (any, error) {
	v, err := decodeYAML([]byte(s))
	if err != nil {
		return nil, err
	}
	return orUnset(v), nil
}

func orUnset(v any) any {
	if v == nil {
		return unset(nil)
	}
	return v
}

func b64dec(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", errors.New("not valid base64") // the input may be a secret: no excerpt
	}
	return string(b), nil
}

func atoi(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("not a whole number") // strconv's message would quote the value
	}
	return n, nil
}

// toInt is int: numbers are truncated, strings parsed in base 10, booleans
// are 1 or 0, no value is 0.
func toInt(v any) (int, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt {
			return 0, errors.New("number too large")
		}
		return int(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
			return 0, errors.New("number out of range")
		}
		return int(f), nil
	case reflect.Bool:
		if rv.Bool() {
			return 1, nil
		}
		return 0, nil
	case reflect.String:
		return atoi(rv.String())
	case reflect.Invalid:
		return 0, nil
	case reflect.Slice:
		if _, ok := v.(missing); ok {
			return 0, nil
		}
		if _, ok := v.(unset); ok {
			return 0, nil
		}
	}
	return 0, fmt.Errorf("cannot make a number of %s", kind(v))
}

// dict makes a map of key, value pairs; a key without a value gets "".
func (l limit) dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		var v any = ""
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		m[l.str(kv[i])] = v
	}
	return m
}

func hasKey(m any, key string) (bool, error) {
	_, found, err := lookup(m, key)
	if err != nil {
		return false, errors.New("want a map")
	}
	return found, nil
}
