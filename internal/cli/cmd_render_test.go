package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestRenderBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	testfiles.Write(t, dir, map[string]string{"ok.tmpl": "x", "bad.tmpl": "{{ if .x }}", "bad.json": "{", "t1": "", "t2": ""})
	ok := filepath.Join(dir, "ok.tmpl")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no templates", []string{"render"}, "no templates"},
		{"syntax error", []string{"render", filepath.Join(dir, "bad.tmpl")}, `bad.tmpl:1 error="unexpected EOF"`},
		{"missing template", []string{"render", filepath.Join(dir, "none.tmpl")}, "cannot read the template"},
		{"unknown flag", []string{"render", "--frob", ok}, "-frob"},
		{"data without =", []string{"render", "--data", "x.json", ok}, "want NAME=PATH"},
		{"bad data name", []string{"render", "--data", "a-b=" + ok, ok}, "NAME must be"},
		{"data named Env", []string{"render", "--data", "Env=" + ok, ok}, "NAME must be"},
		{"unreadable data", []string{"render", "--data", "cfg=/nonexistent.json", ok}, "--data cfg"},
		{"bad JSON data", []string{"render", "--data", "cfg=" + filepath.Join(dir, "bad.json"), ok}, "invalid JSON"},
		{"-o with two templates", []string{"render", "-o", filepath.Join(dir, "out"), ok, ok}, "names one output file"},
		{"input-dir without output-dir", []string{"render", "--input-dir", dir}, "needs --output-dir"},
		{"input-dir and templates", []string{"render", "--input-dir", dir, "--output-dir", dir, ok}, "not both"},
		{"check to stdout", []string{"render", "--check", ok}, "--check needs output files"},
		{"bad chmod", []string{"render", "--chmod", "rwx", "-o", filepath.Join(dir, "o"), ok}, "--chmod"},
		{"bad validate", []string{"render", "--validate", `nginx "-t`, "-o", filepath.Join(dir, "o"), ok}, "unterminated quote"},
		{"missing allow-dir", []string{"render", "--allow-dir", "/nonexistent", ok}, "--allow-dir"},
		{"same output twice", []string{"render", "--output-dir", dir, filepath.Join(dir, "t1"), filepath.Join(dir, "sub", "t1")}, "two templates would write"},
		{"prefix without envsubst", []string{"render", "--envsubst-prefix", "APP_", ok}, "needs --envsubst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, argv, stdout, stderr := runInitbox(t, append(tt.args, "--", "true")...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, cli.ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not mention %q:\n%s", tt.want, stderr)
			}
			if argv != nil || stdout != "" {
				t.Errorf("would exec %q / printed %q after a usage error", argv, stdout)
			}
		})
	}
}

func TestRenderMissingValuesWriteNothingAndExitOne(t *testing.T) {
	dir := t.TempDir()
	testfiles.Write(t, dir, map[string]string{
		"in/a.conf": "a={{ .Env.INITBOX_T_SET }} {{ .Env.INITBOX_T_A }}\n",
		"in/b.conf": "b={{ .Env.INITBOX_T_B }}\n",
		"in/c.conf": "c={{ .Env.INITBOX_T_SET }}\n",
	})
	t.Setenv("INITBOX_T_SET", "s3cret")
	out := filepath.Join(dir, "out")
	code, argv, _, stderr := runInitbox(t, "render", "--input-dir", filepath.Join(dir, "in"), "--output-dir", out, "--", "true")
	if code != cli.ExitFailed || argv != nil {
		t.Fatalf("exit %d, argv %q; want 1 and no command; stderr:\n%s", code, argv, stderr)
	}
	for _, want := range []string{
		`at=a.conf:1:35 error=".Env.INITBOX_T_A is missing"`,
		`at=b.conf:1:10 error=".Env.INITBOX_T_B is missing"`,
		`msg="render failed; nothing was written" problems=2`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not have %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "s3cret") {
		t.Errorf("stderr shows a value:\n%s", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created although rendering failed", out)
	}
}

func TestRenderTreeThenCheckThenDiff(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	testfiles.Write(t, dir, map[string]string{
		"in/nginx.conf.tmpl":       "listen {{ .Env.INITBOX_T_PORT }};\nserver_name {{ .cfg.host }};\n",
		"in/conf.d/site.conf.tmpl": "root {{ .cfg.root | default \"/srv\" }};\n",
		"in/_helpers.tpl":          `{{ define "x" }}{{ end }}`,
		"cfg.yaml":                 "host: example.org\n",
		"in/conf.d/notes.md":       "not a template",
	})
	t.Setenv("INITBOX_T_PORT", "8080")
	args := []string{"render", "--input-dir", in, "--output-dir", out, "--trim-suffix", ".tmpl",
		"--include", "*.tmpl", "--data", "cfg=" + filepath.Join(dir, "cfg.yaml")}

	code, argv, stdout, stderr := runInitbox(t, append(args, "--", "true")...)
	if code != cli.ExitOK || strings.Join(argv, " ") != "true" || stdout != "" {
		t.Fatalf("exit %d, argv %q, stdout %q; stderr:\n%s", code, argv, stdout, stderr)
	}
	if !strings.Contains(stderr, "msg=rendered changed=2 unchanged=0") {
		t.Errorf("no summary line:\n%s", stderr)
	}
	got, _ := os.ReadFile(filepath.Join(out, "nginx.conf"))
	if string(got) != "listen 8080;\nserver_name example.org;\n" {
		t.Errorf("nginx.conf: %q", got)
	}
	if _, err := os.Stat(filepath.Join(out, "conf.d", "notes.md")); err == nil {
		t.Error("an excluded file was rendered")
	}

	code, _, _, stderr = runInitbox(t, args...)
	if code != cli.ExitOK || !strings.Contains(stderr, "changed=0 unchanged=2") {
		t.Errorf("re-run: exit %d:\n%s", code, stderr)
	}
	code, _, _, stderr = runInitbox(t, append(args, "--check")...)
	if code != cli.ExitOK {
		t.Errorf("--check with nothing to change: exit %d:\n%s", code, stderr)
	}

	t.Setenv("INITBOX_T_PORT", "9090")
	for _, flag := range []string{"--check", "--diff"} {
		code, _, stdout, stderr = runInitbox(t, append(args, flag)...)
		wantCode := cli.ExitFailed
		if flag == "--diff" {
			wantCode = cli.ExitOK
		}
		if code != wantCode || !strings.Contains(stderr, `msg="would change" file=`+filepath.Join(out, "nginx.conf")) {
			t.Errorf("%s: exit %d, want %d:\n%s", flag, code, wantCode, stderr)
		}
		if flag == "--diff" && !strings.Contains(stdout, "-listen 8080;\n+listen 9090;\n") {
			t.Errorf("--diff printed:\n%s", stdout)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(out, "nginx.conf")); !strings.Contains(string(got), "8080") {
		t.Errorf("--check or --diff wrote the file: %q", got)
	}
}

func TestRenderToStdoutAndEnvsubst(t *testing.T) {
	dir := t.TempDir()
	testfiles.Write(t, dir, map[string]string{
		"a.tmpl":     "port={{ .Env.INITBOX_T_PORT }}\n",
		"nginx.conf": "listen ${INITBOX_T_PORT}; proxy_set_header Host $host; ${INITBOX_T_UNSET}\n",
		"delim.tmpl": "{{ keep }} <<.Env.INITBOX_T_PORT>>\n",
	})
	t.Setenv("INITBOX_T_PORT", "8080")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"render", filepath.Join(dir, "a.tmpl")}, "port=8080\n"},
		{[]string{"render", "-o", "-", filepath.Join(dir, "a.tmpl"), filepath.Join(dir, "a.tmpl")}, "port=8080\nport=8080\n"},
		{[]string{"render", "--envsubst", filepath.Join(dir, "nginx.conf")}, "listen 8080; proxy_set_header Host $host; ${INITBOX_T_UNSET}\n"},
		{[]string{"render", "--left-delim", "<<", "--right-delim", ">>", filepath.Join(dir, "delim.tmpl")}, "{{ keep }} 8080\n"},
	}
	for _, tt := range tests {
		code, _, stdout, stderr := runInitbox(t, tt.args...)
		if code != cli.ExitOK || stdout != tt.want {
			t.Errorf("%q: exit %d, stdout %q, want %q; stderr:\n%s", tt.args, code, stdout, tt.want, stderr)
		}
	}
}

func TestRenderValidationFailureExitsOne(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	testfiles.Write(t, dir, map[string]string{"app.conf.tmpl": "broken\n", "app.conf": "working\n"})
	code, _, _, stderr := runInitbox(t, "render", "--validate", `sh -c 'echo "line 1: broken"; exit 1' sh {}`,
		"-o", dest, filepath.Join(dir, "app.conf.tmpl"))
	if code != cli.ExitFailed || !strings.Contains(stderr, "line 1: broken") || !strings.Contains(stderr, "left as it was") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(dest); string(got) != "working\n" {
		t.Errorf("%s holds %q after a failed validation", dest, got)
	}
}

// TestRenderExamples keeps the README's render examples (examples/render)
// working.
func TestRenderExamples(t *testing.T) {
	t.Setenv("NGINX_HOST", "shop.example.org")
	t.Setenv("DB_PASSWORD", "s3cret")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--envsubst", "--envsubst-prefix", "NGINX_", "../../examples/render/default.conf.template"},
			[]string{"listen       80;", "server_name  shop.example.org;", "proxy_pass http://app:8080;", "proxy_set_header Host $host;"}},
		{[]string{"--data", "cfg=../../examples/render/values.yaml", "../../examples/render/app.yaml.tmpl"},
			[]string{"port: 8080\n", "url: postgres://db.shop.svc.cluster.local:5432/shop?sslmode=require&connect_timeout=5\n",
				"password: \"s3cret\"\n", "features:\n  recommendations: false\n  search: true\n", "url: http://search:9200\n"}},
	}
	for _, tt := range tests {
		code, _, stdout, stderr := runInitbox(t, append([]string{"render"}, tt.args...)...)
		if code != cli.ExitOK {
			t.Fatalf("%q: exit %d:\n%s", tt.args, code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%q: output lacks %q:\n%s", tt.args, w, stdout)
			}
		}
	}
}
