package render

import (
	"fmt"
	"reflect"
	"strings"
)

// Placeholders for values that are not there. Both are empty slices: false
// in if and with, nothing to range over, empty for default and friends, and
// (unlike nil) accepted by text/template's and/or.
type (
	// missing stands for a value already reported as missing: printing
	// it prints nothing, so the rest of the template runs on and every
	// missing value is found in one go.
	missing []struct{}
	// unset stands for a key that may be missing (an optional access) or
	// a null: printing it is an error.
	unset []struct{}
)

// get is fnGet: it looks keys up one after the other in recv, and on a
// missing key reports it (unless opt) and returns a placeholder.
func (r *run) get(at int, opt bool, recv any, keys ...any) (any, error) {
	if err := r.e.ctx.Err(); err != nil {
		return nil, err
	}
	v := recv
	for i, k := range keys {
		switch v.(type) {
		case missing:
			return v, nil
		case nil, unset:
			if opt {
				return unset(nil), nil
			}
			r.reportAt(at, i, "has no value (null)")
			return missing(nil), nil
		}
		next, found, err := lookup(v, k)
		switch {
		case err != nil:
			r.reportAt(at, i, err.Error())
			return missing(nil), nil
		case !found && opt:
			return unset(nil), nil
		case !found && isList(v):
			r.reportAt(at, i+1, fmt.Sprintf("is out of range (length %d)", reflect.ValueOf(v).Len()))
			return missing(nil), nil
		case !found:
			r.reportAt(at, i+1, "is missing")
			return missing(nil), nil
		}
		v = next
	}
	if v == nil {
		return unset(nil), nil
	}
	return v, nil
}

// lookup finds one key in a map or one index in a list.
func lookup(v, key any) (any, bool, error) {
	switch m := v.(type) {
	case map[string]any:
		return mapLookup(m, key)
	case map[string]string:
		return mapLookup(m, key)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		kv := reflect.ValueOf(key)
		if !kv.IsValid() || !kv.Type().AssignableTo(rv.Type().Key()) {
			return nil, false, fmt.Errorf("is a map: want a %s key, not %s", rv.Type().Key().Kind(), kind(key))
		}
		x := rv.MapIndex(kv)
		if !x.IsValid() {
			return nil, false, nil
		}
		return x.Interface(), true, nil
	case reflect.Slice, reflect.Array:
		i, ok := toIndex(key)
		if !ok {
			return nil, false, fmt.Errorf("is a list: want a number, not %s", kind(key))
		}
		if i < 0 || i >= rv.Len() {
			return nil, false, nil
		}
		return rv.Index(i).Interface(), true, nil
	}
	return nil, false, fmt.Errorf("is %s, not a map or list", kind(v))
}

func mapLookup[V any](m map[string]V, key any) (any, bool, error) {
	k, ok := key.(string)
	if !ok {
		return nil, false, fmt.Errorf("is a map: want a string key, not %s", kind(key))
	}
	x, found := m[k]
	return x, found, nil
}

func isList(v any) bool {
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

func toIndex(k any) (int, bool) {
	rv := reflect.ValueOf(k)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > uint64(^uint(0)>>1) {
			return -1, true
		}
		return int(rv.Uint()), true
	}
	return 0, false
}

// kind names a value's type for messages, without its value.
func kind(v any) string {
	switch v.(type) {
	case nil, unset, missing:
		return "no value"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case int, int64, float64, int32, uint, uint64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any, map[string]string:
		return "a map"
	}
	return "a " + reflect.TypeOf(v).String()
}

// reportAt reports a problem with the access at site number at, naming
// the value read after n keys (n = 0: the receiver).
func (r *run) reportAt(at int, n int, msg string) {
	if !r.first(at) {
		return
	}
	s := &r.e.sites[at]
	expr := s.expression()
	name := accessName(s.head, expr, n)
	text := name + " " + msg
	if name != expr {
		text += " (in " + expr + ")"
	}
	r.problems = append(r.problems, s.problem(text))
}

// first says whether site number at has not reported a problem yet in
// this template: a missing value in a loop is reported once, not once per
// round.
func (r *run) first(at int) bool {
	if r.reported == nil {
		r.reported = map[int]bool{}
	}
	if r.reported[at] {
		return false
	}
	r.reported[at] = true
	return true
}

// accessName spells the first n steps of an access: ".db.host" of
// ".db.host.port", or `key "k"` in an index call.
func accessName(head, expr string, n int) string {
	if head == "index" {
		keys := indexKeys(expr)
		if n >= 1 && n-1 < len(keys) {
			if k := keys[n-1]; k != "" && k[0] >= '0' && k[0] <= '9' {
				return "index " + k
			}
			return "key " + keys[n-1]
		}
		return "the receiver"
	}
	fields := strings.Split(strings.TrimPrefix(expr, head), ".")[1:]
	if n > len(fields) {
		n = len(fields)
	}
	name := head
	for _, f := range fields[:n] {
		name += "." + f
	}
	if name == "" {
		return "."
	}
	return name
}

// indexKeys returns the spelled keys of `index RECV K1 K2`, roughly: good
// enough for messages.
func indexKeys(expr string) []string {
	f := strings.Fields(expr)
	if len(f) < 3 {
		return nil
	}
	return f[2:]
}

// out is fnOut, the last step of every printing action.
func (r *run) out(at int, v any) (any, error) {
	switch v.(type) {
	case missing:
		return "", nil
	case nil, unset:
		if !r.first(at) {
			return "", nil
		}
		s := &r.e.sites[at]
		r.problems = append(r.problems, s.problem(s.expression()+" has no value to print (missing or null; use default)"))
		return "", nil
	case string:
		return v, nil
	}
	limit(r.e.opts.MaxOutput).sized(v) // fmt prints a list or map whole into memory, then writes it
	return v, nil
}

// required is Helm's required: a missing, null or empty string value is a
// problem reported with msg.
func (r *run) required(at int, msg string, v any) (any, error) {
	switch x := v.(type) {
	case missing:
		return v, nil // reported already
	case nil, unset:
	case string:
		if x != "" {
			return v, nil
		}
	default:
		return v, nil
	}
	p := Problem{Template: r.name, Msg: "required: " + msg}
	if !r.first(at) {
		return missing(nil), nil
	}
	if at >= 0 {
		p = r.e.sites[at].problem(p.Msg)
	}
	r.problems = append(r.problems, p)
	return missing(nil), nil
}
