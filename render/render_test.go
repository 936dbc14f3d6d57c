package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// renderString renders one template text with env and data.
func renderString(t *testing.T, opts Options, text string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.tmpl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	outs, err := Render(t.Context(), opts, []Job{{Src: path, Name: "t.tmpl"}})
	if err != nil {
		return "", err
	}
	return string(outs[0].Data), nil
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a *render.Error", err)
	}
	return re.Problems
}

func TestMissingValuesAreAllListedAcrossTemplates(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.conf.tmpl")
	b := filepath.Join(dir, "b.conf.tmpl")
	os.WriteFile(a, []byte("{{ .Env.ONE }}\nok {{ .Env.SET }}\n{{ .Env.TWO }}{{ .Env.THREE }}\n"), 0o644)
	os.WriteFile(b, []byte("x\n\n{{ .cfg.FOUR }}\n"), 0o644)
	opts := Options{Env: map[string]string{"SET": "1"}, Data: map[string]any{"cfg": map[string]any{}}}
	outs, err := Render(t.Context(), opts, []Job{{Src: a, Name: "a.conf.tmpl"}, {Src: b, Name: "b.conf.tmpl"}})
	if outs != nil {
		t.Errorf("got outputs %v along with an error", outs)
	}
	got := problems(t, err)
	want := []string{
		"a.conf.tmpl:1:8: .Env.ONE is missing",
		"a.conf.tmpl:3:8: .Env.TWO is missing",
		"a.conf.tmpl:3:22: .Env.THREE is missing",
		"b.conf.tmpl:3:8: .cfg.FOUR is missing",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("problem %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestStrictAndOptionalAccess(t *testing.T) {
	data := map[string]any{"v": map[string]any{"name": "app", "zero": 0, "null": nil, "list": []any{"a"}}}
	tests := []struct {
		text, want string // want: output, or "ERR: " and a problem's text
	}{
		{`{{ .v.name }}`, "app"},
		{`{{ .v.nope }}`, "ERR: .v.nope is missing"},
		{`{{ .v.nope.deeper }}`, "ERR: .v.nope is missing (in .v.nope.deeper)"},
		{`{{ .v.null }}`, "ERR: .v.null has no value to print"},
		{`{{ .v.zero }}`, "0"},
		{`{{ if .v.nope }}y{{ else }}n{{ end }}`, "n"},
		{`{{ if .v.nope.deeper }}y{{ else }}n{{ end }}`, "n"},
		{`{{ if eq .v.nope "x" }}y{{ end }}`, "ERR: .v.nope is missing"},
		{`{{ with .v.nope }}y{{ else }}n{{ end }}`, "n"},
		{`{{ default "d" .v.nope }}`, "d"},
		{`{{ default .v.nope "given" }}`, "ERR: .v.nope is missing"}, // the default itself is strict
		{`{{ .v.nope | default "d" | upper }}`, "D"},
		{`{{ .v.nope | upper | default "d" }}`, "ERR: .v.nope is missing"},
		{`{{ or .v.nope "o" }}`, "o"},
		{`{{ or .v.nope .v.nope2 }}`, "ERR: .v.nope2 is missing"},
		{`{{ "x" | or .v.nope }}`, "x"},
		{`{{ and .v.nope "x" }}`, "ERR: and .v.nope \"x\" has no value to print"},
		{`{{ not .v.nope }}`, "true"},
		{`{{ empty .v.nope }}`, "true"},
		{`{{ coalesce .v.nope .v.name }}`, "app"},
		{`{{ ternary "y" "n" .v.nope }}`, "n"},
		{`{{ required "need it" .v.nope }}`, "ERR: required: need it"},
		{`{{ required "need it" .v.zero }}`, "0"},
		{`{{ index .v.list 0 }}`, "a"},
		{`{{ index .v.list 3 }}`, "ERR: index 3 is out of range (length 1)"},
		{`{{ if index .v "nope" }}y{{ else }}n{{ end }}`, "n"},
		{`{{ $x := .v }}{{ $x.name }}{{ $x.nope }}`, "ERR: $x.nope is missing"},
		{`{{ (dict "a" 1).a }}{{ (dict "a" 1).b }}`, "ERR: (dict \"a\" 1).b is missing"},
		{`{{ range .v.nope }}x{{ end }}`, "ERR: .v.nope is missing"},
		{`{{ range .v.list }}{{ .x }}{{ end }}`, "ERR: . is a string, not a map or list (in .x)"},
		{`{{ template "t" .v }}{{ define "t" }}{{ .name }}{{ .nope }}{{ end }}`, "ERR: .nope is missing"},
		{`{{ include "t" .v }}{{ define "t" }}{{ .nope }}{{ end }}`, "ERR: .nope is missing"},
		{`{{ .Env.HOME }}`, "ERR: .Env.HOME is missing"}, // only the environment passed in
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := renderString(t, Options{Data: data}, tt.text)
			want, isErr := strings.CutPrefix(tt.want, "ERR: ")
			switch {
			case isErr && err == nil:
				t.Errorf("got %q, want an error about %q", got, want)
			case isErr:
				if ps := problems(t, err); len(ps) != 1 || !strings.Contains(ps[0].Msg, want) {
					t.Errorf("got %v, want one problem: %q", err, want)
				}
			case err != nil:
				t.Errorf("got %v, want %q", err, want)
			case got != want:
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestErrorsNeverShowValues(t *testing.T) {
	env := map[string]string{"SECRET": "hunter2: [x", "B64": "hunter2!!"}
	for _, text := range []string{
		`{{ .Env.SECRET.x }}`, `{{ atoi .Env.SECRET }}`, `{{ int .Env.SECRET }}`,
		`{{ b64dec .Env.B64 }}`, `{{ fromJson .Env.SECRET }}`, `{{ fromYaml .Env.SECRET }}`,
		`{{ index .Env.SECRET 1 }}`, `{{ eq .Env.SECRET 1 }}`, `{{ indent .Env.SECRET "x" }}`,
		`{{ .Env.SECRET | upper | required "x" | atoi }}`,
	} {
		_, err := renderString(t, Options{Env: env}, text)
		if err == nil {
			t.Errorf("%s: no error", text)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the value: %v", text, err)
		}
	}
}

func TestSyntaxErrorsOfAllTemplates(t *testing.T) {
	dir := t.TempDir()
	var jobs []Job
	for name, text := range map[string]string{"a": "{{ if }}", "b": "{{ .x", "c": "fine", "d": "{{ nosuchfunc }}"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		jobs = append(jobs, Job{Src: p, Name: name})
	}
	jobs = append(jobs, Job{Src: filepath.Join(dir, "none"), Name: "none"})
	_, err := Render(t.Context(), Options{}, jobs)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *SyntaxError", err)
	}
	if len(se.Problems) != 4 {
		t.Errorf("got %d problems, want 4 (a, b, d, none):\n%v", len(se.Problems), err)
	}
	if !strings.Contains(err.Error(), "none: cannot read the template") {
		t.Errorf("the unreadable template is not named:\n%v", err)
	}
}

func TestRecursionAndSizeAreBounded(t *testing.T) {
	_, err := renderString(t, Options{}, `{{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`)
	if err == nil || !strings.Contains(err.Error(), "nested include") {
		t.Errorf("got %v, want the nesting limit", err)
	}
	_, err = renderString(t, Options{}, `{{ define "a" }}{{ tpl "{{ include \"a\" . }}" . }}{{ end }}{{ include "a" . }}`)
	if err == nil || !strings.Contains(err.Error(), "nested include") {
		t.Errorf("got %v, want the nesting limit", err)
	}
	_, err = renderString(t, Options{MaxOutput: 100}, `{{ range 1000 }}xx{{ end }}`)
	if err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Errorf("got %v, want the output limit", err)
	}
}

func TestContextStopsRendering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t")
	os.WriteFile(path, []byte(`{{ range 100000000 }}{{ . }}{{ end }}`), 0o644)
	ctx, cancel := contextWithCancel(t)
	cancel()
	if _, err := Render(ctx, Options{}, []Job{{Src: path}}); err == nil {
		t.Error("rendered despite a cancelled context")
	}
}

func TestDelimitersAreConfigurable(t *testing.T) {
	got, err := renderString(t, Options{LeftDelim: "<%", RightDelim: "%>", Env: map[string]string{"A": "1"}},
		`{{ .keep }} <% .Env.A %> <% default "d" .Env.B %>`)
	if err != nil || got != `{{ .keep }} 1 d` {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestMissingInALoopIsReportedOnce(t *testing.T) {
	_, err := renderString(t, Options{}, "{{ range 50 }}{{ $.Env.X }}{{ required \"set Y\" $.Env.Y }}{{ end }}")
	if ps := problems(t, err); len(ps) != 2 {
		t.Errorf("got %d problems, want 2:\n%v", len(ps), err)
	}
}

// A loop or a recursion that prints nothing calls nothing that could see
// the context: the deadline must stop it all the same, and name it.
func TestDeadlineStopsTemplatesThatPrintNothing(t *testing.T) {
	for _, text := range []string{
		`{{ range 1000000000 }}{{ range 1000000000 }}{{ end }}{{ end }}`,
		`{{ range 1000000000 }}{{ if false }}x{{ end }}{{ end }}`,
		`{{ range 1000000000 }}{{ continue }}x{{ end }}`,
		`{{ range 1000000000 }}{{ $x := . }}{{ end }}`,
		`{{ define "r" }}{{ if lt (len .) 60 }}{{ template "r" (print . "x") }}{{ template "r" (print . "x") }}{{ end }}{{ end }}{{ template "r" "" }}`,
		`{{ define "r" }}{{ if lt (len .) 60 }}{{ include "r" (print . "x") }}{{ include "r" (print . "x") }}{{ end }}{{ end }}{{ include "r" "" }}`,
		`{{ tpl "{{ range 1000000000 }}{{ end }}" . }}`,
	} {
		path := filepath.Join(t.TempDir(), "t.tmpl")
		os.WriteFile(path, []byte(text), 0o644)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		_, err := Render(ctx, Options{}, []Job{{Src: path}})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "rendering "+path) {
			t.Errorf("%s: got %v, want the deadline, naming the template", text, err)
		}
	}
}

// An error deep in nested includes is reported once, with where it
// happened, not as text/template's chain of every level.
func TestNestedIncludeErrorsAreShort(t *testing.T) {
	_, err := renderString(t, Options{}, `{{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`)
	ps := problems(t, err)
	if len(ps) != 1 || len(ps[0].Msg) > 200 || !strings.Contains(ps[0].Msg, "(at t.tmpl:1:20)") {
		t.Errorf("got %q, want one short problem that says where", ps)
	}
	_, err = renderString(t, Options{}, "{{ define \"h\" }}\n{{ atoi \"x\" }}{{ end }}{{ tpl `{{ include \"h\" . }}` . }}")
	ps = problems(t, err)
	want := `error calling atoi: not a whole number (at t.tmpl:2:4)`
	if len(ps) != 1 || ps[0].Msg != want || ps[0].Line != 2 {
		t.Errorf("got %q, want %q at line 2", ps, want)
	}
}
