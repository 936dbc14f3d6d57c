package render

import (
	"strings"
	"testing"
)

func TestEnvsubst(t *testing.T) {
	env := map[string]string{"PORT": "8080", "EMPTY": "", "APP_NAME": "shop", "host": "evil"}
	tests := []struct {
		in, want string
		prefixes []string
	}{
		{"listen ${PORT};", "listen 8080;", nil},
		{"proxy_set_header Host $host;", "proxy_set_header Host $host;", nil}, // no braces: never replaced
		{"$PORT ${PORT}", "$PORT 8080", nil},
		{"${UNSET} stays", "${UNSET} stays", nil},
		{"${UNSET:-def} ${UNSET-def}", "def def", nil},
		{"[${EMPTY:-def}] [${EMPTY-def}] [${EMPTY}]", "[def] [] []", nil},
		{"${UNSET:-}x", "x", nil},
		{"$$ $${PORT} $$$${PORT} $$${PORT}", "$ ${PORT} $${PORT} $8080", nil},
		{"${1} ${PORT/x/y} ${PORT:+x} ${ PORT} ${PORT", "${1} ${PORT/x/y} ${PORT:+x} ${ PORT} ${PORT", nil},
		{"${PORT:-a}}", "8080}", nil},
		{"$", "$", nil},
		{"${", "${", nil},
		{"${PORT} ${APP_NAME} ${APP_UNSET:-d} ${UNSET:-d}", "${PORT} shop d ${UNSET:-d}", []string{"APP_"}},
		{"${PORT} ${APP_NAME}", "8080 shop", []string{"APP_", "PO"}},
		{"ünïcödé ${PORT} €", "ünïcödé 8080 €", nil},
	}
	for _, tt := range tests {
		got, ps := envsubst(tt.in, "t", env, tt.prefixes)
		if len(ps) > 0 || string(got) != tt.want {
			t.Errorf("envsubst(%q, %q) = %q, %v; want %q", tt.in, tt.prefixes, got, ps, tt.want)
		}
	}
}

func TestEnvsubstListsEveryRequiredVariable(t *testing.T) {
	env := map[string]string{"EMPTY": "", "SECRET": "hunter2"}
	in := "a ${A:?set A}\n\n${EMPTY:?} ${EMPTY?fine}\n${B?} ${SECRET:?x}\n${C:?}"
	_, ps := envsubst(in, "t.conf", env, nil)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		"t.conf:1: A is not set or empty: set A",
		"t.conf:3: EMPTY is not set or empty",
		"t.conf:4: B is not set",
		"t.conf:5: C is not set or empty",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
