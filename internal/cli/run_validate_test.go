package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/spec"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

var update = flag.Bool("update", false, "rewrite docs/run.schema.json")

// TestRunValidatesEverythingFirst: each mistake exits 2 naming file:line,
// step and key, and nothing runs: the server sees no request.
func TestRunValidatesEverythingFirst(t *testing.T) {
	dir := t.TempDir()
	files := newCountingServer(t, map[string][]byte{"/a": []byte("a")})
	testfiles.Write(t, dir, map[string]string{"t.tmpl": "x\n"})
	first := "steps:\n  - fetch: {url: " + files.URL + "/a, output: " + dir + "/a}\n"
	for _, tc := range []struct{ name, steps, want string }{
		{"unknown key", "  - name: config\n    render:\n      template: " + dir + "/t.tmpl\n      outptu: /x\n",
			`init.yaml:6: step "config" (render): unknown key "outptu" — did you mean "output"?`},
		{"wrong type", "  - wait:\n      target: tcp://db:1\n      any: sometimes\n",
			`init.yaml:5: step 2 (wait): key "any": want true or false, got "sometimes"`},
		{"duration without unit", "  - wait: {target: tcp://db:1, timeout: 30}\n",
			`init.yaml:3: step 2 (wait): key "timeout": want a duration with a unit, such as 30s or 2m, got 30`},
		{"bad target", "  - name: db\n    wait:\n      targets:\n        - tcp://db:1\n        - tcp://db\n",
			`init.yaml:7: step "db" (wait): key "targets": tcp://db: want HOST:PORT (IPv6 as [::1]:80): missing port in address`},
		{"bad scheme", "  - check: {target: \"ftp://x:21\"}\n",
			`init.yaml:3: step 2 (check): key "target": ftp://x:21: unknown scheme "ftp"`},
		{"bad template path", "  - render:\n      templates: [" + dir + "/t.tmpl, " + dir + "/none.tmpl]\n      output-dir: " + dir + "/o\n",
			`init.yaml:4: step 2 (render): key "templates": template ` + dir + `/none.tmpl does not exist`},
		{"bad option value", "  - render:\n      template: " + dir + "/t.tmpl\n      output: /o\n      chmod: \"999\"\n",
			`init.yaml:6: step 2 (render): key "chmod": "999": want an octal mode from 0400 to 0777, e.g. 0644`},
		{"option clash", "  - fetch:\n      urls: [\"http://h/a\", \"http://h/b\"]\n      output: /x\n",
			`init.yaml:5: step 2 (fetch): key "output": names one file but 2 URLs were given`},
		{"negative timeout", "  - wait:\n      target: tcp://db:1\n      timeout: -1s\n",
			`init.yaml:5: step 2 (wait): key "timeout": -1s: want 0 (no limit) or a positive duration`},
		{"unset variable", "  - wait: {target: \"tcp://${NO_SUCH_HOST}:1\"}\n",
			`init.yaml:3: step 2 (wait): key "target": environment variable NO_SUCH_HOST is not set (give a default: ${NO_SUCH_HOST:-value})`},
		{"program", "  - exec: [no-such-program-here]\n",
			`init.yaml:3: step 2 (exec): key "command": no-such-program-here is not in $PATH`},
		{"in a group", "  - parallel:\n      - wait: tcp://db:1\n      - wait: {target: tcp://db:1, intervall: 1s}\n",
			`init.yaml:5: step 2.2 (wait): unknown key "intervall" — did you mean "interval"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeSpec(t, dir, "%s", first+tc.steps)
			for _, args := range [][]string{{"run", path}, {"run", "--check", path}} {
				code, _, stdout, stderr := runInitbox(t, args...)
				want := "initbox: " + strings.Replace(tc.want, "init.yaml", path, 1)
				if code != ExitUsage || !strings.Contains(stderr, want) {
					t.Errorf("%q: exit %d, stderr:\n%s\nwant 2 and %s", args, code, stderr, want)
				}
				if stdout != "" {
					t.Errorf("stdout: %q", stdout)
				}
			}
			if n := files.count("/a"); n != 0 {
				t.Errorf("step 1 ran (%d requests) although step 2 is wrong", n)
			}
		})
	}
}

// TestRunReportsEveryMistakeAtOnce: the parser's and the commands'
// findings together, in the order of their lines.
func TestRunReportsEveryMistakeAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := writeSpec(t, dir, `steps:
  - wait: {target: "tcp://db", timeout: 1m}
  - wait: {target: "tcp://db:1", timeout: soon}
  - check: {target: "ftp://x:1"}
`)
	code, _, _, stderr := runInitbox(t, "run", "--check", path)
	want := "initbox: " + path + `:2: step 1 (wait): key "target": tcp://db: want HOST:PORT (IPv6 as [::1]:80): missing port in address
initbox: ` + path + `:3: step 2 (wait): key "timeout": want a duration such as 30s or 2m, got "soon"
initbox: ` + path + `:4: step 3 (check): key "target": ftp://x:1: unknown scheme "ftp"`
	if code != ExitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 2 and:\n%s", code, stderr, want)
	}
}

// TestRunThenCommand: without an exec step, the command after "--" is
// what replaces initbox once every step succeeded; JSON logs carry the
// summary as one record per step.
func TestRunThenCommand(t *testing.T) {
	dir := t.TempDir()
	path := writeSpec(t, dir, "steps:\n  - {name: root, wait: file:///}\n  - check: file:///\n")
	code, argv, _, stderr := runInitbox(t, "--log-format", "json", "run", path, "--", "/bin/echo", "hi")
	if code != ExitOK || !slices.Equal(argv, []string{"/bin/echo", "hi"}) {
		t.Fatalf("exit %d, argv %q; want 0 and the command\n%s", code, argv, stderr)
	}
	for _, want := range []string{`"msg":"summary","step":"root","kind":"wait","result":"ok","exit":0`,
		`"msg":"summary","step":"check#2","kind":"check","result":"ok"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the JSON log has no %s:\n%s", want, stderr)
		}
	}
}

// TestRunPathsWrittenByEarlierSteps need not exist when the file is
// checked.
func TestRunPathsWrittenByEarlierSteps(t *testing.T) {
	dir := t.TempDir()
	files := newCountingServer(t, map[string][]byte{"/t.tmpl": []byte("v={{ .Env.HOME }}\n")})
	path := writeSpec(t, dir, `steps:
  - fetch: {url: %[1]s/t.tmpl, output: %[2]s/tmpl/t.tmpl}
  - render: {template: %[2]s/tmpl/t.tmpl, output: %[2]s/out}
`, files.URL, dir)
	if code, _, _, stderr := runInitbox(t, "run", path); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	assertContent(t, filepath.Join(dir, "out"), []byte("v="+os.Getenv("HOME")+"\n"))
}

func TestRunDryRunAndCheck(t *testing.T) {
	dir := t.TempDir()
	files := newCountingServer(t, map[string][]byte{"/a": []byte("a")})
	path := writeSpec(t, dir, `deadline: 10m
steps:
  - name: db
    wait: {targets: ["postgres://app:s3cr3t@127.0.0.1:1/db"], timeout: 1m, header: "Authorization: Bearer tok"}
  - fetch: {url: %[1]s/a, output: %[2]s/a}
  - exec: [/app/server, --port, "8080"]
`, files.URL, dir)
	code, _, _, stderr := runInitbox(t, "run", "--dry-run", path)
	if code != ExitUsage || !strings.Contains(stderr, `key "command": /app/server does not exist`) {
		t.Fatalf("dry run of a missing program: exit %d\n%s", code, stderr)
	}
	path = writeSpec(t, dir, "%s", strings.Replace(testfiles.Read(t, path), "/app/server", "/bin/echo", 1))
	code, _, stdout, stderr := runInitbox(t, "run", "--dry-run", path)
	want := path + `: 3 steps, deadline 10m
1  db  initbox wait --timeout=1m '--header=Authorization: xxxxx' postgres://app:xxxxx@127.0.0.1:1/db
2  -   initbox fetch --output=` + dir + `/a ` + files.URL + `/a
3  -   /bin/echo --port 8080
`
	if code != ExitOK || stdout != want {
		t.Errorf("dry run: exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	if code, _, stdout, _ = runInitbox(t, "run", "--check", path); code != ExitOK || stdout != "" {
		t.Errorf("--check: exit %d, stdout %q", code, stdout)
	}
	if n := files.count("/a"); n != 0 || strings.Contains(stderr, "s3cr3t") {
		t.Errorf("dry run and check made %d requests, or showed the password:\n%s", n, stderr)
	}
}

// TestRunIgnoresInitboxVariables: a file means the same wherever it runs;
// it reads the environment only where it says ${VAR}.
func TestRunIgnoresInitboxVariables(t *testing.T) {
	dir := t.TempDir()
	testfiles.Write(t, dir, map[string]string{"t.tmpl": "x\n"})
	t.Setenv("INITBOX_OUTPUT", filepath.Join(dir, "elsewhere"))
	t.Setenv("INITBOX_CHECK", "true")
	t.Setenv("INITBOX_SPEC", writeSpec(t, dir, "steps:\n  - render: {template: %[1]s/t.tmpl, output: \"${OUT:-%[1]s/out}\"}\n", dir))
	if code, _, _, stderr := runInitbox(t, "run"); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	assertContent(t, filepath.Join(dir, "out"), []byte("x\n"))
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
		t.Errorf("INITBOX_OUTPUT was used: %v", err)
	}
}

func TestRunCommandLineMistakes(t *testing.T) {
	dir := t.TempDir()
	path := writeSpec(t, dir, "steps:\n  - exec: [/bin/true]\n")
	t.Setenv("INITBOX_SPEC", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "no file: give FILE, - for stdin, or set INITBOX_SPEC"},
		{[]string{"run", filepath.Join(dir, "none.yaml")}, "none.yaml: no such file"},
		{[]string{"run", path, "extra"}, "one FILE, not 2 arguments"},
		{[]string{"run", path, "--", "/bin/true"}, `the last step replaces initbox, and so would the command after "--"`},
	} {
		code, argv, _, stderr := runInitbox(t, tc.args...)
		if code != ExitUsage || argv != nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, argv %q, stderr:\n%s\nwant 2 and %q", tc.args, code, argv, stderr, tc.want)
		}
	}
}

// TestRunSchema: docs/run.schema.json is what the commands' flags make
// it. A flag added to wait, check, fetch or render fails this test until
// the schema is regenerated with go test -run TestRunSchema -update.
func TestRunSchema(t *testing.T) {
	got, err := spec.Schema(schemaID, stepKinds())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "run.schema.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestRunSchema -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the flags make: run go test -run TestRunSchema -update", path)
	}
	for _, k := range stepKinds() {
		for _, cmd := range stepCommands(&env{}) {
			if cmd.Name != k.Name {
				continue
			}
			for _, f := range cmd.Flags {
				if _, ok := k.Keys[f.Names()[0]]; !ok || !bytes.Contains(got, []byte(`"`+f.Names()[0]+`"`)) {
					t.Errorf("flag --%s of %s is not a key of the schema", f.Names()[0], k.Name)
				}
			}
		}
	}
}
