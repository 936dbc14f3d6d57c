package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The printf estimate is what printf makes, within a few bytes a verb
// (widths count in full; error notes such as %!(EXTRA string=...) not).
func TestPrintfEstimate(t *testing.T) {
	long := strings.Repeat("y", 1000)
	for _, c := range []struct {
		format string
		args   []any
	}{
		{"%s-%d", []any{"name", 42}},
		{"%5s|%-8d|%08.3f", []any{"ab", 7, 3.14159}},
		{"%[1]s%[1]s%[1]s%[2]d%d", []any{long, 1, 2}},
		{"%*d|%-*s", []any{12, 3, -7, "x"}},
		{"%[2]*[1]d", []any{5, 20}},
		{"%v|%s", []any{[]any{"a", []any{1, 2}}, []any{"b"}}},
		{"%d", []any{1, "extra", long}},
		{"100%% %s", []any{"sure"}},
		{"%.1000f", []any{1.0}},
		{"%1000000d%1000000d", []any{1, 2}},
		{"%", nil},
	} {
		s := sizer{left: 1 << 40}
		s.printf(c.format, c.args)
		est, got := 1<<40-s.left, int64(len(fmt.Sprintf(c.format, c.args...)))
		if slack := int64(16 * (len(c.args) + strings.Count(c.format, "%"))); est < got-slack || est > got+slack {
			t.Errorf("printf %q: estimated %d bytes, made %d", c.format, est, got)
		}
	}
}

// size is a lower bound of both printed and JSON sizes.
func TestSizeIsALowerBound(t *testing.T) {
	for _, v := range []any{
		"abc", 12, -3.25, true, nil, []any{}, []any{"a", 1, []any{}, nil},
		map[string]any{"k": "v", "n": []any{1, 2.5}}, map[string]string{"a": "b"},
		[]string{"a", "b"}, map[string]int{"x": 1}, missing(nil),
	} {
		s := sizer{left: 1 << 40}
		s.add(v)
		est := 1<<40 - s.left
		j, _ := json.Marshal(v)
		if p := fmt.Sprint(v); est > int64(len(p)) || est > int64(len(j)) {
			t.Errorf("%#v: estimated %d bytes, prints as %d, JSON %d", v, est, len(p), len(j))
		}
	}
}
