package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Speed figures live here and in bench/render.sh, never in tests.

// smallTemplate is a typical nginx server block.
const smallTemplate = `server {
  listen {{ .Env.PORT }};
  server_name app%d.{{ .Env.DOMAIN }};
  root {{ default "/srv" .Env.ROOT }}/%d;
  location / { proxy_pass http://{{ .Env.BACKEND }}; proxy_set_header Host $host; }
}
`

var benchEnv = map[string]string{"PORT": "80", "DOMAIN": "example.org", "BACKEND": "app:9000"}

// tree1000 writes 1,000 small templates in 10 directories.
func tree1000(b *testing.B) []Job {
	b.Helper()
	in, out := b.TempDir(), b.TempDir()
	for i := range 1000 {
		p := filepath.Join(in, fmt.Sprintf("d%d", i/100), fmt.Sprintf("site%d.conf.tmpl", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, fmt.Appendf(nil, smallTemplate, i, i), 0o644)
	}
	jobs, err := Tree(TreeOptions{In: in, Out: out, TrimSuffix: ".tmpl"})
	if err != nil {
		b.Fatal(err)
	}
	return jobs
}

func BenchmarkRender1000(b *testing.B) {
	jobs := tree1000(b)
	opts := Options{Env: benchEnv}
	for b.Loop() {
		if _, err := Render(context.Background(), opts, jobs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply1000Unchanged(b *testing.B) {
	jobs := tree1000(b)
	outs, err := Render(context.Background(), Options{Env: benchEnv}, jobs)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Apply(context.Background(), outs, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := Apply(context.Background(), outs, WriteOptions{})
		if err != nil || len(res.Changed) > 0 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkApply1000Changed rewrites every file each time (fsync included):
// the figure depends on the file system under $TMPDIR.
func BenchmarkApply1000Changed(b *testing.B) {
	jobs := tree1000(b)
	outs, err := Render(context.Background(), Options{Env: benchEnv}, jobs)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		for i := range outs {
			outs[i].Data = fmt.Appendf(outs[i].Data[:0], "run %d\n", n)
		}
		if _, err := Apply(context.Background(), outs, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender10MiB renders one template whose output is 10 MiB.
func BenchmarkRender10MiB(b *testing.B) {
	p := filepath.Join(b.TempDir(), "big.tmpl")
	os.WriteFile(p, []byte(bigTemplate), 0o644)
	opts := Options{Env: benchEnv}
	for b.Loop() {
		outs, err := Render(context.Background(), opts, []Job{{Src: p}})
		if err != nil || len(outs[0].Data) < 10<<20 {
			b.Fatal(err)
		}
	}
}

// bigTemplate loops to write 10 MiB (a generated upstream list, say).
var bigTemplate = `{{ range 180000 }}server backend-{{ . }}.{{ $.Env.DOMAIN }}:{{ $.Env.PORT }} weight=1 max_fails=3;{{ "\n" }}{{ end }}`

// BenchmarkRenderFuncs renders Helm-style manifests that call the string
// functions on every line, with the CLI's default --max-output.
func BenchmarkRenderFuncs(b *testing.B) {
	p := filepath.Join(b.TempDir(), "funcs.tmpl")
	os.WriteFile(p, []byte(funcsTemplate), 0o644)
	var services []any
	for i := range 200 {
		services = append(services, map[string]any{
			"name": fmt.Sprintf("svc_%d", i), "port": 8000 + i,
			"env":  map[string]any{"A": "1", "B": "two", "C": true, "D": 4.5, "E": "x<y"},
			"args": []any{"--verbose", "--port", 8000 + i},
		})
	}
	opts := Options{Env: benchEnv, Data: map[string]any{"cfg": map[string]any{"services": services}}, MaxOutput: 64 << 20}
	for b.Loop() {
		if _, err := Render(context.Background(), opts, []Job{{Src: p}}); err != nil {
			b.Fatal(err)
		}
	}
}

const funcsTemplate = `{{ define "labels" }}app: {{ .name | quote }}
tier: {{ .tier | default "web" | quote }}{{ end }}
{{- range $i, $s := .cfg.services }}
---
kind: Deployment
metadata:
  name: {{ printf "%s-%d" $s.name $i }}
  labels:{{ include "labels" $s | nindent 4 }}
spec:
  env: {{ toJson $s.env }}
  args: {{ join "," $s.args | quote }}
  host: {{ replace "_" "-" $s.name | lower | trim }}.{{ print $.Env.DOMAIN }}
  config: |{{ toYaml $s | nindent 4 }}
{{ end }}`
