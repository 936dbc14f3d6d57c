package render

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// maxNesting bounds how deep a list or map printed may nest, so that
// walking it (ours, fmt's, encoding/json's) cannot exhaust the stack.
const maxNesting = 10000

// A sizer counts off left a lower bound on the bytes values take printed
// with %v or as JSON, escapes left out. It stops once left is below 0, so
// a list holding another many times over costs no more steps than the
// limit has bytes.
type sizer struct {
	left  int64
	depth int
	deep  bool // nested more than maxNesting
}

func (s *sizer) err(l limit) error {
	switch {
	case s.deep:
		return fmt.Errorf("a list or map nested more than %d deep", maxNesting)
	case s.left < 0:
		return l.err()
	}
	return nil
}

func (s *sizer) add(v any) {
	var buf [32]byte
	switch x := v.(type) {
	case string:
		s.left -= int64(len(x))
	case int:
		s.left -= int64(len(strconv.AppendInt(buf[:0], int64(x), 10)))
	case float64:
		s.left -= int64(len(strconv.AppendFloat(buf[:0], x, 'g', -1, 64)))
	case bool, nil:
		s.left -= 4
	case []any:
		if s.in() {
			for _, e := range x {
				if s.left < 0 {
					break
				}
				s.left--
				s.add(e)
			}
			s.depth--
		}
	case map[string]any:
		if s.in() {
			for k, e := range x {
				if s.left < 0 {
					break
				}
				s.left -= int64(len(k)) + 2
				s.add(e)
			}
			s.depth--
		}
	case map[string]string:
		for k, e := range x {
			s.left -= int64(len(k)+len(e)) + 2
		}
	default:
		s.reflect(reflect.ValueOf(v))
	}
}

// reflect is add for the types that neither data nor functions make.
func (s *sizer) reflect(rv reflect.Value) {
	switch rv.Kind() {
	case reflect.String:
		s.left -= int64(rv.Len())
	case reflect.Slice, reflect.Array:
		if s.in() {
			for i := 0; i < rv.Len() && s.left >= 0; i++ {
				s.left--
				s.add(rv.Index(i).Interface())
			}
			s.depth--
		}
	case reflect.Map:
		if s.in() {
			for it := rv.MapRange(); it.Next() && s.left >= 0; {
				s.left--
				s.add(it.Key().Interface())
				s.add(it.Value().Interface())
			}
			s.depth--
		}
	default:
		s.left--
	}
}

// in enters a list or map, "[" and "]" less the separator its items
// count; false if that nests too deep.
func (s *sizer) in() bool {
	if s.depth >= maxNesting {
		s.deep, s.left = true, -1
		return false
	}
	s.depth++
	s.left--
	return true
}

// printf counts off what printf makes: the format's text, each argument
// as often as a verb prints it (%[1]s%[1]s prints one twice) and at least
// as wide as the verb's width and precision (fmt takes up to a million),
// and the arguments no verb printed, which fmt adds as %!(EXTRA ...).
func (s *sizer) printf(format string, args []any) {
	s.left -= int64(len(format))
	arg, reordered := 0, false
	for i := 0; i < len(format) && s.left >= 0; i++ {
		if format[i] != '%' {
			continue
		}
		start, pad := i, 0
		for i++; i < len(format) && strings.IndexByte("#+- .0123456789*[", format[i]) >= 0; i++ {
			switch c := format[i]; {
			case c == '[':
				var n int
				n, i = number(format, i+1)
				arg, reordered = n-1, true
			case c == '*':
				if w, ok := at(args, arg).(int); ok {
					pad += min(max(w, -w), 1e6)
				}
				arg++
			case c >= '0' && c <= '9':
				var n int
				n, i = number(format, i)
				pad += n
				i--
			}
		}
		s.left += int64(min(i+1, len(format)) - start) // the verb is not printed, but what it stands for
		switch {
		case i == len(format):
		case format[i] == '%':
			s.left--
		default:
			s.pad(at(args, arg), int64(pad))
			arg++
		}
	}
	if !reordered && arg < len(args) {
		for _, a := range args[arg:] {
			s.add(a)
		}
	}
}

// pad adds v, counted as at least n bytes.
func (s *sizer) pad(v any, n int64) {
	before := s.left
	s.add(v)
	if used := before - s.left; used < n {
		s.left -= n - used
	}
}

// number reads the digits at format[i:], up to fmt's million.
func number(format string, i int) (int, int) {
	n := 0
	for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
		n = min(n*10+int(format[i]-'0'), 1e6)
	}
	return n, i
}

func at(args []any, i int) any {
	if i < 0 || i >= len(args) {
		return ""
	}
	return args[i]
}
