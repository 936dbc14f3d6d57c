//go:build linux

package processtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
)

// Templates that grow a value on their line 2 until it would take a
// terabyte. With --max-output 4MiB, render must refuse each at that line.
var valueGrowth = []struct{ name, text string }{
	{"assignment doubled by print", `{{ $s := "x" }}
{{ range 40 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}`},
	{"printf", `{{ $s := "x" }}
{{ range 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}{{ len $s }}`},
	{"include doubling its argument", `{{ define "r" }}{{ if lt (len .) 1000000000000 }}{{ include "r" (print . .) }}{{ end }}{{ end }}
{{ include "r" "x" }}`},
	{"include doubling its output", `{{ define "d" }}{{ . }}{{ . }}{{ end }}{{ $s := "x" }}
{{ range 40 }}{{ $s = include "d" $s }}{{ end }}{{ len $s }}`},
	{"tpl", `{{ $s := "x" }}
{{ range 40 }}{{ $s = tpl "{{ print . . }}" $s }}{{ end }}{{ len $s }}`},
	{"indent", `{{ $s := "\n" }}{{ range 21 }}{{ $s = print $s $s }}{{ end }}
{{ len (indent 1024 $s) }}`},
	{"nindent", `{{ $s := "\n" }}{{ range 21 }}{{ $s = print $s $s }}{{ end }}
{{ len (nindent 1024 $s) }}`},
	{"replace", `{{ $s := "x" }}
{{ range 40 }}{{ $s = replace "x" "xx" $s }}{{ end }}{{ len $s }}`},
	{"join", `{{ $s := "x" }}
{{ range 30 }}{{ $s = join $s (list $s $s) }}{{ end }}{{ len $s }}`},
	{"toJson of a list built in a loop", `{{ $l := list "x" }}{{ range 40 }}{{ $l = list $l $l }}{{ end }}
{{ len (toJson $l) }}`},
	{"a list built in a loop, printed", `{{ $l := list "x" }}{{ range 40 }}{{ $l = list $l $l }}{{ end }}
{{ $l }}`},
}

// TestRenderRefusesValuesLargerThanMaxOutput runs the real initbox with
// its memory bounded, as in a container: without the value limit each
// template would make it die with "fatal error: out of memory" (exit 2).
// It must instead fail (exit 1) naming the line and --max-output, and
// leave the old output as it was.
func TestRenderRefusesValuesLargerThanMaxOutput(t *testing.T) {
	want := regexp.MustCompile(`at=\S*app.conf.tmpl:2:\d+ error=".*the value would exceed --max-output \(4194304 bytes\)`)
	for _, g := range valueGrowth {
		t.Run(g.name, func(t *testing.T) {
			old := oldOutput(t, t.TempDir())
			before := snap(t, old)
			src := file(t, t.TempDir(), "app.conf.tmpl", g.text)
			code, stderr := boundedRender(t, "--max-output", "4MiB", "-o", old, src)
			if code != cli.ExitFailed || !want.MatchString(stderr) || !strings.Contains(stderr, "nothing was written") {
				t.Errorf("exit %d, want %d and the value limit at line 2; stderr:\n%s", code, cli.ExitFailed, stderr)
			}
			before.unchanged(t, old)
		})
	}
}

// An output of exactly --max-output, made by doubling, renders.
func TestRenderValuesUpToMaxOutput(t *testing.T) {
	out := t.TempDir() + "/app.conf"
	src := file(t, t.TempDir(), "app.conf.tmpl", `{{ $s := "x" }}{{ range 22 }}{{ $s = print $s $s }}{{ end }}{{ $s }}`)
	code, stderr := boundedRender(t, "--max-output", "4MiB", "-o", out, src)
	if fi, err := os.Stat(out); code != cli.ExitOK || err != nil || fi.Size() != 4<<20 {
		t.Errorf("exit %d, output %v %v; want 4 MiB written; stderr:\n%s", code, fi, err, stderr)
	}
}

// boundedRender runs initbox render with GOMEMLIMIT and a 400 MB data
// segment (ulimit -d): past that, the Go runtime cannot map more heap and
// dies, as it does under a container's memory limit.
func boundedRender(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	argv := append([]string{"-c", `ulimit -d 400000 && exec "$0" "$@"`, binary, "render", "--timeout", "30s"}, args...)
	cmd := exec.CommandContext(ctx, "/bin/sh", argv...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=64MiB")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	t.Logf("exit %d, peak RSS %d MiB", cmd.ProcessState.ExitCode(), rss>>10)
	return cmd.ProcessState.ExitCode(), stderr.String()
}
