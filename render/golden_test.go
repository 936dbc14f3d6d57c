package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// secret is an environment value that must never appear in an error.
const secret = "s3cr3t-v4lue"

func goldenEnv() map[string]string {
	return map[string]string{
		"PORT": "8080", "HOST": "example.org", "EMPTY": "", "SECRET": secret,
		"BACKEND": "app:9000",
	}
}

func goldenData(t *testing.T) map[string]any {
	t.Helper()
	data := map[string]any{}
	for name, path := range map[string]string{
		"values":   "testdata/golden/data/values.yaml",
		"settings": "testdata/golden/data/settings.json",
		"cm":       "testdata/golden/data/configmap",
	} {
		v, err := LoadData(path)
		if err != nil {
			t.Fatal(err)
		}
		data[name] = v
	}
	return data
}

// TestGolden renders each testdata/golden/*.tmpl (Go templates; *.delims.tmpl
// with [[ ]]) and *.envsubst, and compares the output, or "ERROR" and the
// error, with the .golden file beside it. go test -run Golden -update
// rewrites them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.tmpl")
	more, _ := filepath.Glob("testdata/golden/*.envsubst")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found only %d golden templates", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			opts := Options{Env: goldenEnv(), Data: goldenData(t)}
			if strings.HasSuffix(name, ".envsubst") {
				opts = Options{Env: goldenEnv(), Envsubst: true}
			}
			if strings.HasSuffix(name, ".delims.tmpl") {
				opts.LeftDelim, opts.RightDelim = "[[", "]]"
			}
			got := renderGolden(t, opts, f, name)
			checkGolden(t, f+".golden", got)
		})
	}
}

func renderGolden(t *testing.T, opts Options, path, name string) string {
	t.Helper()
	outs, err := Render(t.Context(), opts, []Job{{Src: path, Name: name}})
	if err != nil {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a secret value:\n%v", err)
		}
		return "ERROR\n" + err.Error() + "\n"
	}
	return string(outs[0].Data)
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", golden, unifiedString(string(want), got))
	}
}

func unifiedString(want, got string) string {
	var b strings.Builder
	Unified(&b, "want", "got", []byte(want), []byte(got))
	return b.String()
}
