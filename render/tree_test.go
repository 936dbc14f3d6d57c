package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTree(t *testing.T) {
	in := t.TempDir()
	files := []string{
		"nginx.conf.tmpl", "conf.d/site.conf.tmpl", "conf.d/skip.bak", "_helpers.tpl",
		"deep/a/b.yaml.tmpl", "..2026_01_01/key", ".initbox-x.abc.initbox-tmp", "README.md",
	}
	for _, f := range files {
		p := filepath.Join(in, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	os.Symlink("..2026_01_01", filepath.Join(in, "..data"))
	os.Symlink("..data/key", filepath.Join(in, "key.tmpl")) // a ConfigMap key
	out := filepath.Join(in, "out")                         // output inside the input
	os.MkdirAll(filepath.Join(out, "old"), 0o755)
	os.WriteFile(filepath.Join(out, "old", "x.tmpl"), nil, 0o644)

	tests := []struct {
		name             string
		include, exclude []string
		want             []string // "src -> dest" relative, or "src (helper)"
	}{
		{"everything", nil, []string{"*.md"}, []string{
			"_helpers.tpl (helper)", "conf.d/site.conf.tmpl -> conf.d/site.conf", "conf.d/skip.bak -> conf.d/skip.bak",
			"deep/a/b.yaml.tmpl -> deep/a/b.yaml", "key.tmpl -> key", "nginx.conf.tmpl -> nginx.conf"}},
		{"include base names", []string{"*.tmpl", "_*"}, nil, []string{
			"_helpers.tpl (helper)", "conf.d/site.conf.tmpl -> conf.d/site.conf",
			"deep/a/b.yaml.tmpl -> deep/a/b.yaml", "key.tmpl -> key", "nginx.conf.tmpl -> nginx.conf"}},
		{"patterns with a slash match paths", []string{"conf.d/*"}, []string{"conf.d/*.bak"}, []string{
			"conf.d/site.conf.tmpl -> conf.d/site.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := Tree(TreeOptions{In: in, Out: out, Include: tt.include, Exclude: tt.exclude, TrimSuffix: ".tmpl"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range jobs {
				if j.Helper {
					got = append(got, j.Name+" (helper)")
					continue
				}
				rel, _ := filepath.Rel(out, j.Dest)
				got = append(got, j.Name+" -> "+rel)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestTreeWithoutHelpers(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "_underscore.conf"), nil, 0o644)
	jobs, err := Tree(TreeOptions{In: in, Out: t.TempDir(), NoHelpers: true})
	if err != nil || len(jobs) != 1 || jobs[0].Helper || jobs[0].Dest == "" {
		t.Errorf("got %+v, %v; want one ordinary job", jobs, err)
	}
}

func TestTreeRefusesToOverwriteTemplates(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "a.conf"), nil, 0o644)
	if _, err := Tree(TreeOptions{In: in, Out: in}); err == nil || !strings.Contains(err.Error(), "overwrite its template") {
		t.Errorf("got %v", err)
	}
	if _, err := Tree(TreeOptions{In: in, Out: t.TempDir(), Include: []string{"["}}); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

func TestHelpersAreSharedAndNotRendered(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(in, "_helpers.tpl"), []byte(`{{ define "name" }}{{ .Env.APP }}-{{ .Env.ENV }}{{ end }}`), 0o644)
	os.WriteFile(filepath.Join(in, "a.conf"), []byte(`a={{ include "name" . }}`), 0o644)
	os.WriteFile(filepath.Join(in, "b.conf"), []byte(`{{ define "name" }}own{{ end }}b={{ template "name" . }}`), 0o644)
	jobs, err := Tree(TreeOptions{In: in, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := Render(t.Context(), Options{Env: map[string]string{"APP": "shop", "ENV": "prod"}}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, string(o.Data))
	}
	if want := []string{"a=shop-prod", "b=own"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A missing value inside a helper is reported at the helper's line.
	_, err = Render(t.Context(), Options{Env: map[string]string{"APP": "shop"}}, jobs)
	if err == nil || !strings.Contains(err.Error(), "_helpers.tpl:1:42: .Env.ENV is missing") {
		t.Errorf("got %v", err)
	}
}
