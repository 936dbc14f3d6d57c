package render

import (
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/option"
)

// Templates that build a value larger than MaxOutput (1 MiB) on their
// line 2. Without the limit each would build it, up to 16 MiB, and most
// would then render: they print only its length.
var growth = []struct{ name, text string }{
	{"print doubling", `{{ $s := "x" }}
{{ range 24 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}`},
	{"println doubling", `{{ $s := "x" }}
{{ range 24 }}{{ $s = println $s $s }}{{ end }}{{ len $s }}`},
	{"printf doubling", `{{ $s := "x" }}
{{ range 24 }}{{ $s = printf "%s%s" $s $s }}{{ end }}{{ len $s }}`},
	{"printf index reuse", `{{ $s := "x" }}
{{ range 24 }}{{ $s = printf "%[1]s%[1]s" $s }}{{ end }}{{ len $s }}`},
	{"printf widths", `{{ $f := "%999999d%999999d" }}
{{ len (printf $f 1 2) }}`},
	{"include doubling", `{{ define "d" }}{{ . }}{{ . }}{{ end }}{{ $s := "x" }}
{{ range 24 }}{{ $s = include "d" $s }}{{ end }}{{ len $s }}`},
	{"include doubling its argument", `{{ define "r" }}{{ if lt (len .) 16000000 }}{{ include "r" (print . .) }}{{ else }}{{ len . }}{{ end }}{{ end }}
{{ include "r" "x" }}`},
	{"tpl doubling", `{{ $s := "x" }}
{{ range 24 }}{{ $s = tpl "{{ . }}{{ . }}" $s }}{{ end }}{{ len $s }}`},
	{"indent", `{{ $s := "\n" }}{{ range 14 }}{{ $s = print $s $s }}{{ end }}
{{ len (indent 1024 $s) }}`},
	{"nindent", `{{ $s := "\n" }}{{ range 14 }}{{ $s = print $s $s }}{{ end }}
{{ len (nindent 1024 $s) }}`},
	{"replace", `{{ $s := "x" }}
{{ range 24 }}{{ $s = replace "x" "xx" $s }}{{ end }}{{ len $s }}`},
	{"join", `{{ $s := "x" }}
{{ range 15 }}{{ $s = join $s (list $s $s) }}{{ end }}{{ len $s }}`},
	{"squote", `{{ $s := "x" }}
{{ range 24 }}{{ $s = squote $s $s }}{{ end }}{{ len $s }}`},
	{"html", `{{ $s := "\"" }}{{ range 18 }}{{ $s = print $s $s }}{{ end }}
{{ len (html $s) }}`},
	{"toJson of a list built in a loop", `{{ $l := list "x" }}{{ range 22 }}{{ $l = list $l $l }}{{ end }}
{{ len (toJson $l) }}`},
	{"toYaml of a list built in a loop", `{{ $l := list "x" }}{{ range 18 }}{{ $l = list $l $l }}{{ end }}
{{ len (toYaml $l) }}`},
	{"upper of a list", `{{ $l := list "x" }}{{ range 22 }}{{ $l = list $l $l }}{{ end }}
{{ len (upper $l) }}`},
	{"a list as a dict key", `{{ $l := list "x" }}{{ range 22 }}{{ $l = list $l $l }}{{ end }}
{{ $d := dict $l 1 }}`},
	{"a list printed", `{{ $l := list "x" }}{{ range 22 }}{{ $l = list $l $l }}{{ end }}
{{ $l }}`},
}

func TestValuesAreBoundedByMaxOutput(t *testing.T) {
	for _, g := range growth {
		t.Run(g.name, func(t *testing.T) {
			_, err := renderString(t, Options{MaxOutput: 1 << 20}, g.text)
			if err == nil {
				t.Fatal("rendered")
			}
			ps := problems(t, err)
			if len(ps) != 1 || ps[0].Line != 2 || !strings.Contains(ps[0].Msg, "the value would exceed "+string(option.MaxOutput)+" (1048576 bytes)") {
				t.Errorf("got %q, want the value limit on line 2", ps)
			}
		})
	}
}

func TestDeepNestingIsRefused(t *testing.T) {
	_, err := renderString(t, Options{MaxOutput: 1 << 20}, `{{ $l := list }}{{ range 20000 }}{{ $l = list $l }}{{ end }}{{ toJson $l }}`)
	if err == nil || !strings.Contains(err.Error(), "nested more than 10000 deep") {
		t.Errorf("got %v, want the nesting limit", err)
	}
}

// Values up to the limit render: the estimates are not above the truth.
func TestValuesUpToMaxOutputRender(t *testing.T) {
	const half = `{{ $h := "x" }}{{ range 19 }}{{ $h = print $h $h }}{{ end }}` // 512 KiB
	for _, text := range []string{
		`{{ $s := "x" }}{{ range 20 }}{{ $s = print $s $s }}{{ end }}{{ $s }}`,
		half + `{{ printf "%s%s" $h $h }}`,
		half + `{{ printf "%[1]s%[1]s" $h }}`,
		half + `{{ join "" (list $h $h) }}`,
		half + `{{ replace "x" "xx" $h }}`,
		half + `{{ define "d" }}{{ . }}{{ . }}{{ end }}{{ include "d" $h }}`,
		half + `{{ tpl "{{ . }}{{ . }}" $h }}`,
		half + `{{ $q := slice (print $h $h) 4 }}{{ toJson (list $q) }}`,
		half + `{{ $q := slice (print $h $h) 2 }}{{ quote $q }}`,
		half + `{{ $q := slice (print $h $h) 2 }}{{ toYaml (list $q) }}`,
		half + `{{ $q := slice (print $h $h) 2 }}{{ list $q }}`,
		half + `{{ $q := slice (print $h $h) 1 }}{{ indent 1 $q }}`,
	} {
		out, err := renderString(t, Options{MaxOutput: 1 << 20}, text)
		if err != nil || len(out) != 1<<20 {
			t.Errorf("%s: got %d bytes, %v; want 1 MiB", text, len(out), err)
		}
	}
}
