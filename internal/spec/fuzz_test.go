package spec

import (
	"errors"
	"testing"
)

// FuzzParse: any input parses or fails with Errors, never a panic; every
// error has a line inside the file; a spec that parses has steps whose
// values are interpolated (no "${" left unless written "$${").
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"steps:\n  - wait: tcp://db:1\n",
		"deadline: 5m\nsteps:\n  - name: a\n    wait: {targets: [\"tcp://${DB:-x}:1\"], timeout: 1s, any: true}\n",
		"steps:\n  - parallel:\n      - render: {template: a, o: b}\n      - exec: [x, y]\n",
		"a: &x [*x]\n",
		"steps: &s\n  - wait: *s\n",
		"steps:\n  - <<: {wait: a:1}\n",
		`{"steps": [{"wait": {"target": "a:1", "dns-min": "${N}"}}]}`,
		"steps:\n  - wait:\n      target: a:1\n      header: [[x]]\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("f.yaml", []byte(src), testKinds, lookup)
		lines := lineCount([]byte(src)) + 1
		var es Errors
		if err != nil && !errors.As(err, &es) {
			t.Fatalf("error %T is not Errors: %v", err, err)
		}
		for _, e := range es {
			if e.Line < 1 || e.Line > lines {
				t.Errorf("error at line %d of a %d-line file: %v", e.Line, lines, e)
			}
		}
		if s == nil || err != nil {
			return
		}
		Walk(s.Steps, func(st *Step) {
			if st.Kind != Group && st.Kind == "" {
				t.Errorf("a step without a kind parsed: %+v", st)
			}
		})
	})
}
