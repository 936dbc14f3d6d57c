package render

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The fuzz targets run as ordinary tests from their seeds in testdata/fuzz;
// go test -fuzz FuzzTemplate ./render (or FuzzEnvsubst) searches further.

const fuzzSecret = "fuzz-s3cret-value"

// tooSlow matches templates that could loop for long without output
// (range over large numbers, nested or recursive ranges): not bugs, but
// they would stall the fuzzer.
var tooSlow = regexp.MustCompile(`\d{4,}|\d[eEpP_]|0[xXbBoO]|\d\.\d`)

func FuzzTemplate(f *testing.F) {
	dir := f.TempDir()
	allowed := filepath.Join(dir, "allowed")
	os.MkdirAll(allowed, 0o755)
	os.WriteFile(filepath.Join(allowed, "f.txt"), []byte("file content"), 0o644)
	data := map[string]any{
		"cfg":  map[string]any{"name": "app", "port": 8080, "list": []any{"a", 1, nil}, "null": nil},
		"text": "plain text",
	}
	env := map[string]string{"PORT": "8080", "EMPTY": "", "SECRET": fuzzSecret}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "range") && (tooSlow.MatchString(text) ||
			strings.Count(text, "range") > 2 || strings.Contains(text, "include")) {
			t.Skip()
		}
		path := filepath.Join(t.TempDir(), "f.tmpl")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		opts := Options{Env: env, Data: data, AllowDirs: []string{allowed}, MaxOutput: 1 << 20}
		outs, err := Render(ctx, opts, []Job{{Src: path, Name: "f.tmpl"}})
		if err == nil && len(outs) != 1 {
			t.Fatalf("no error and %d outputs", len(outs))
		}
		if err != nil && strings.Contains(err.Error(), fuzzSecret) && !mayQuoteValues(text) {
			t.Errorf("the error shows a value:\n%v", err)
		}
		if err == nil && strings.Contains(string(outs[0].Data), "<no value>") && !strings.Contains(text, "<no value>") {
			t.Errorf("printed <no value>: %q", outs[0].Data)
		}
	})
}

// mayQuoteValues says whether the template hands a value to something that
// puts it in its error on purpose: fail "message", required "message",
// file PATH, include NAME, tpl TEXT; or names the secret itself.
func mayQuoteValues(text string) bool {
	for _, s := range []string{"fail", "required", "file", "include", "tpl", "template", fuzzSecret, "s3cret"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

func FuzzEnvsubst(f *testing.F) {
	env := map[string]string{"PORT": "8080", "EMPTY": "", "SECRET": fuzzSecret, "APP_NAME": "shop"}
	f.Fuzz(func(t *testing.T, text string) {
		for _, prefixes := range [][]string{nil, {"APP_"}} {
			out, ps := envsubst(text, "f", env, prefixes)
			if !strings.Contains(text, "$") && (string(out) != text || len(ps) > 0) {
				t.Fatalf("text without $ changed: %q -> %q, %v", text, out, ps)
			}
			for _, p := range ps {
				if strings.Contains(p.String(), fuzzSecret) && !strings.Contains(text, "s3cret") {
					t.Errorf("a problem shows a value: %v", p)
				}
				if p.Line < 1 || p.Line > strings.Count(text, "\n")+1 {
					t.Errorf("problem at line %d of a %d-line text", p.Line, strings.Count(text, "\n")+1)
				}
			}
			if len(prefixes) > 0 && strings.Contains(string(out), "8080") && !strings.Contains(text, "8080") {
				t.Errorf("a variable outside the prefix was replaced: %q -> %q", text, out)
			}
		}
	})
}
