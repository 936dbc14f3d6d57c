package checks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Accessors for decoded API objects: a missing or mistyped field reads as
// its zero value, as the API's own defaults do.

func field(o obj, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(o obj, path ...string) string {
	s, _ := field(o, path...).(string)
	return s
}

func num(o obj, path ...string) int64 {
	f, _ := field(o, path...).(float64)
	return int64(f)
}

// has reports whether a field is present, to tell an unset replicas
// (nil: the API's default) from zero.
func has(o obj, path ...string) bool { return field(o, path...) != nil }

func list(o obj, path ...string) []any {
	l, _ := field(o, path...).([]any)
	return l
}

// condition finds status.conditions[type=t], matched without regard to
// case as kubectl wait matches it.
func condition(o obj, t string) obj {
	for _, c := range list(o, "status", "conditions") {
		if m, ok := c.(map[string]any); ok && strings.EqualFold(str(m, "type"), t) {
			return m
		}
	}
	return nil
}

func conditionTrue(o obj, t string) bool {
	c := condition(o, t)
	return c != nil && strings.EqualFold(str(c, "status"), "True")
}

// why is a condition's reason and message, for a state's description.
func why(c obj) string {
	r, m := str(c, "reason"), str(c, "message")
	switch {
	case r != "" && m != "":
		return r + ": " + m
	case r != "":
		return r
	}
	return m
}

func name(o obj) string { return str(o, "metadata", "name") }

// jsonPath is a subset of kubectl's JSONPath: .a.b, [N], ['key'] and a
// filter [?(@.k=="v")] that keeps the first match; enough for
// {.status.phase} or {.status.conditions[?(@.type=="Ready")].status}.
type jsonPath []pathStep

type pathStep struct {
	key    string
	index  int // when key == "" and !filter
	filter bool
	fkey   string // filter: @.fkey == fval
	fval   string
}

func parseJSONPath(s string) (jsonPath, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if !strings.HasPrefix(s, ".") {
		return nil, fmt.Errorf("JSONPath %q: want a path from the object's root such as .status.phase", s)
	}
	var p jsonPath
	for rest := s; rest != ""; {
		var step pathStep
		var err error
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			step.key, rest = rest[1:end+1], rest[end+1:]
			if step.key == "" {
				return nil, fmt.Errorf("JSONPath %q: empty field name", s)
			}
		case '[':
			end := strings.Index(rest, "]")
			if end < 0 {
				return nil, fmt.Errorf("JSONPath %q: unclosed [", s)
			}
			step, err = parseBracket(rest[1:end])
			if err != nil {
				return nil, fmt.Errorf("JSONPath %q: %w", s, err)
			}
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("JSONPath %q: unexpected %q", s, rest[:1])
		}
		p = append(p, step)
	}
	return p, nil
}

func parseBracket(in string) (pathStep, error) {
	switch {
	case strings.HasPrefix(in, "?(@.") && strings.HasSuffix(in, ")"):
		k, v, ok := strings.Cut(in[4:len(in)-1], "==")
		if !ok {
			return pathStep{}, fmt.Errorf("filter %q: want ?(@.key==\"value\")", in)
		}
		return pathStep{filter: true, fkey: strings.TrimSpace(k), fval: strings.Trim(strings.TrimSpace(v), `"'`)}, nil
	case len(in) > 1 && (in[0] == '\'' || in[0] == '"'):
		return pathStep{key: strings.Trim(in, `"'`)}, nil
	}
	n, err := strconv.Atoi(in)
	if err != nil || n < 0 {
		return pathStep{}, fmt.Errorf("[%s]: want an index, a 'key' or a ?(@.key==\"value\") filter", in)
	}
	return pathStep{index: n}, nil
}

// get follows the path; found is false when a step leads nowhere.
func (p jsonPath) get(v any) (any, bool) {
	for i, s := range p {
		switch {
		case s.key != "":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s.key]; !ok {
				return nil, false
			}
		case s.filter:
			m, ok := filterFirst(v, s)
			if !ok {
				return nil, false
			}
			return p[i+1:].get(m)
		default:
			l, ok := v.([]any)
			if !ok || s.index >= len(l) {
				return nil, false
			}
			v = l[s.index]
		}
	}
	return v, true
}

func filterFirst(v any, s pathStep) (obj, bool) {
	l, _ := v.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && valueString(m[s.fkey]) == s.fval {
			return m, true
		}
	}
	return nil, false
}

// valueString prints a value as kubectl's JSONPath output does: strings
// bare, everything else as JSON.
func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
