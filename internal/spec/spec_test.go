package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// testKinds stand in for the CLI's commands.
var testKinds = []Kind{
	{Name: "wait", Args: Args{One: "target", Many: "targets", Required: true, Usage: "what to wait for"},
		Keys: map[string]Key{"timeout": {Type: Duration}, "any": {Type: Bool}, "header": {Type: List}, "dns-min": {Type: Int}}},
	{Name: "render", Args: Args{One: "template", Many: "templates"},
		Keys:    map[string]Key{"output": {Type: String}, "input-dir": {Type: String}, "data": {Type: List}},
		Aliases: map[string]string{"o": "output"}},
	{Name: "exec", Args: Args{Many: "command", Required: true, Usage: "the command and its arguments"},
		Keys: map[string]Key{"timeout": {Type: Duration}}},
}

var testEnv = map[string]string{"DB": "db.local", "EMPTY": "", "T": "45s"}

func lookup(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

func parse(t *testing.T, src string) (*Spec, error) {
	t.Helper()
	return Parse("init.yaml", []byte(src), testKinds, lookup)
}

func TestParse(t *testing.T) {
	s, err := parse(t, `deadline: 5m
steps:
  - name: db
    wait:
      targets: ["tcp://${DB}:5432", "http://${HOST:-api}/healthz"]
      timeout: ${T}
      any: true
      header: "X-A: b"
  - wait: tcp://cache:6379
  - name: both
    parallel:
      - render: {template: /t/a.tmpl, output: /out/a}
      - exec: {command: [/bin/true]}
`)
	if err != nil {
		t.Fatal(err)
	}
	if s.Deadline != 5*time.Minute || len(s.Steps) != 3 {
		t.Fatalf("deadline %v, %d steps", s.Deadline, len(s.Steps))
	}
	db := s.Steps[0]
	if got, want := db.ArgTexts(), []string{"tcp://db.local:5432", "http://api/healthz"}; !slices.Equal(got, want) {
		t.Errorf("targets = %q, want %q", got, want)
	}
	if got, want := db.Flags(), []string{"--timeout=45s", "--any=true", "--header=X-A: b"}; !slices.Equal(got, want) {
		t.Errorf("flags = %q, want %q", got, want)
	}
	if db.Line != 4 || db.Args[1].Line != 5 {
		t.Errorf("lines: step %d, target %d; want 4, 5", db.Line, db.Args[1].Line)
	}
	if got := s.Steps[1].ArgTexts(); !slices.Equal(got, []string{"tcp://cache:6379"}) {
		t.Errorf("short form: %q", got)
	}
	g := s.Steps[2]
	if g.Kind != Group || len(g.Steps) != 2 || g.Steps[1].Num != "3.2" || g.Steps[0].String() != "step 3.1 (render)" {
		t.Errorf("group: %+v", g)
	}
}

func TestJSON(t *testing.T) {
	s, err := parse(t, `{"steps": [{"name": "db", "wait": {"targets": ["tcp://db:5432"], "timeout": "1m", "dns-min": 3}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Steps[0].Flags(); !slices.Equal(got, []string{"--timeout=1m", "--dns-min=3"}) {
		t.Errorf("flags = %q", got)
	}
}

// TestErrors: every mistake names the file, the line, the step and the
// key, and all of them are reported at once.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"unknown key", "steps:\n  - name: config\n    render:\n      template: a.tmpl\n      outptu: /x\n",
			`init.yaml:5: step "config" (render): unknown key "outptu" — did you mean "output"?`},
		{"alias", "steps:\n  - render:\n      o: /x\n",
			`init.yaml:3: step 1 (render): unknown key "o" — did you mean "output"?`},
		{"no suggestion", "steps:\n  - render: {zzzzzz: 1}\n",
			`init.yaml:2: step 1 (render): unknown key "zzzzzz" (want data, input-dir, output, template or templates)`},
		{"misspelt kind", "steps:\n  - wiat: tcp://db:1\n",
			`init.yaml:2: step 1: unknown key "wiat" — did you mean "wait"?`},
		{"no command", "steps:\n  - name: x\n",
			`init.yaml:2: step 1: no command: want one of exec, parallel, render or wait`},
		{"duration", "steps:\n  - wait:\n      target: db:1\n      timeout: soon\n",
			`init.yaml:4: step 1 (wait): key "timeout": want a duration such as 30s or 2m, got "soon"`},
		{"duration without unit", "steps:\n  - wait: {target: db:1, timeout: 30}\n",
			`init.yaml:2: step 1 (wait): key "timeout": want a duration with a unit, such as 30s or 2m, got 30`},
		{"bool", "steps:\n  - wait:\n      target: db:1\n      any: yes\n",
			`init.yaml:4: step 1 (wait): key "any": want true or false, got "yes"`},
		{"int", "steps:\n  - wait: {target: db:1, dns-min: many}\n",
			`init.yaml:2: step 1 (wait): key "dns-min": want a whole number, got "many"`},
		{"list for a scalar", "steps:\n  - wait:\n      target: db:1\n      timeout: [1s]\n",
			`init.yaml:4: step 1 (wait): key "timeout": want a single duration, got a list`},
		{"mapping for a list", "steps:\n  - wait:\n      targets: {a: b}\n",
			`init.yaml:3: step 1 (wait): key "targets": want a string, got a mapping`},
		{"missing targets", "steps:\n  - name: db\n    wait: {timeout: 1s}\n",
			`init.yaml:3: step "db" (wait): missing key "targets": what to wait for`},
		{"unset variable", "steps:\n  - wait:\n      target: ${NOPE}:5432\n",
			`init.yaml:3: step 1 (wait): key "target": environment variable NOPE is not set (give a default: ${NOPE:-value})`},
		{"option beside the command", "steps:\n  - wait: db:1\n    timeout: 1s\n",
			`init.yaml:3: step 1 (wait): key "timeout" belongs under "wait": (wait: {timeout: ...})`},
		{"two commands", "steps:\n  - wait: db:1\n    exec: [x]\n",
			`init.yaml:3: step 1: one step does one thing, but has both "wait" and "exec": make them two steps`},
		{"duplicate key", "steps:\n  - wait:\n      target: a:1\n      timeout: 1s\n      timeout: 2s\n",
			`init.yaml:5: step 1 (wait): key "timeout" given twice (first on line 4)`},
		{"duplicate name", "steps:\n  - {name: a, wait: a:1}\n  - {name: a, wait: a:1}\n",
			`init.yaml:3: key "name": "a" names two steps (first on line 2): names tell steps apart in the log`},
		{"both forms", "steps:\n  - wait: {target: a:1, targets: [b:1]}\n",
			`init.yaml:2: step 1 (wait): give "target" or "targets", not both`},
		{"top level", "step:\n  - wait: a:1\n",
			"init.yaml:1: unknown key \"step\" — did you mean \"steps\"?\ninit.yaml:1: key \"steps\": no steps: want steps: followed by a list of steps"},
		{"in a group", "steps:\n  - parallel:\n      - wait: {target: a:1, tiemout: 1s}\n",
			`init.yaml:3: step 1.1 (wait): unknown key "tiemout" — did you mean "timeout"?`},
		{"syntax", "steps:\n  - wait: [a\n",
			`init.yaml:2: did not find expected ',' or ']'`},
		{"empty", "", `init.yaml:1: the file is empty: want steps: followed by a list of steps`},
		{"not a mapping", "- wait: a:1\n", `init.yaml:1: want a mapping with a list of steps (steps: [...]), got a list`},
		{"deadline", "deadline: -1s\nsteps: [{wait: a:1}]\n", `init.yaml:1: key "deadline": want 0 (none) or a positive duration such as 5m`},
		{"null value", "steps:\n  - wait:\n      target: a:1\n      timeout:\n",
			`init.yaml:4: step 1 (wait): key "timeout": no value: want a duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.src)
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
			var es Errors
			if !errors.As(err, &es) || !es.Usage() {
				t.Errorf("error %T is not Errors", err)
			}
		})
	}
}

func TestErrorKeys(t *testing.T) {
	_, err := parse(t, "steps:\n  - name: x\n    wait:\n      target: a:1\n      timeout: soon\n      any: maybe\n")
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("errors: %v", err)
	}
	for i, want := range []struct {
		line int
		key  string
	}{{5, "timeout"}, {6, "any"}} {
		if es[i].Line != want.line || es[i].Key != want.key || es[i].Step != `step "x" (wait)` {
			t.Errorf("error %d: line %d key %q step %q; want line %d key %q", i, es[i].Line, es[i].Key, es[i].Step, want.line, want.key)
		}
	}
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${DB}:5432", "db.local:5432", ""},
		{"${NOPE:-fallback}", "fallback", ""},
		{"${EMPTY:-fallback}", "fallback", ""},
		{"[${EMPTY}]", "[]", ""},
		{"${NOPE:-}", "", ""},
		{"^ok$ and $DB", "^ok$ and $DB", ""},
		{"$${DB}", "${DB}", ""},
		{"${DB}${T}", "db.local45s", ""},
		{"${NOPE}", "", "environment variable NOPE is not set"},
		{"${DB", "", "unterminated"},
		{"${1X}", "", "want ${NAME}"},
		{"${DB:=x}", "", "want ${NAME}"},
	} {
		got, err := expand(tc.in, lookup)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("expand(%q): error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	words := []string{"output", "output-dir", "timeout", "targets"}
	for in, want := range map[string]string{"outptu": "output", "ouput": "output", "TIMEOUT": "timeout",
		"target": "targets", "outputdir": "output-dir", "x": "", "banana": ""} {
		if got := Suggest(in, words); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlan(t *testing.T) {
	s, err := parse(t, "deadline: 5m\nsteps:\n  - {name: db, wait: {targets: [tcp://db:1], timeout: 2m}}\n"+
		"  - parallel:\n      - render: {template: a b.tmpl, output: /o}\n  - exec: [/app, \"it's\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.Plan(&b, func(st *Step) []string {
		return append(append([]string{"initbox", st.Kind}, st.Flags()...), st.ArgTexts()...)
	}); err != nil {
		t.Fatal(err)
	}
	want := `init.yaml: 4 steps, deadline 5m
1    db  initbox wait --timeout=2m tcp://db:1
2    -   in parallel:
2.1  -   initbox render --output=/o 'a b.tmpl'
3    -   initbox exec /app 'it'\''s'
`
	if b.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestSchema(t *testing.T) {
	b, err := Schema("https://example.com/run.schema.json", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Definitions map[string]struct {
			AnyOf []struct {
				Properties map[string]any `json:"properties"`
			} `json:"anyOf"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Definitions["wait"].AnyOf[0].Properties
	for _, k := range []string{"timeout", "any", "header", "dns-min", "target", "targets"} {
		if _, ok := props[k]; !ok {
			t.Errorf("wait has no %q in the schema: %v", k, props)
		}
	}
}
