//go:build linux

package processtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/filestate"
	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testfs"
	"github.com/initbox/initbox/internal/testutil/testproc"
)

const goodOutput = "listen 80;\n"

// renderSnapshot is what a failed render must leave as it was: the old output's
// bytes, inode and mtime, and the names in its directory, where a temp
// file left behind would show.
type renderSnapshot struct {
	filestate.State
	names []string
}

func snap(t *testing.T, path string) renderSnapshot {
	t.Helper()
	return renderSnapshot{filestate.Of(t, path), filestate.Names(t, filepath.Dir(path))}
}

// unchanged fails the test if path is not as s saw it.
func (s renderSnapshot) unchanged(t *testing.T, path string) {
	t.Helper()
	now := snap(t, path)
	if now.Data != s.Data || now.Ino != s.Ino || !now.Mtime.Equal(s.Mtime) {
		t.Errorf("%s changed: %q inode %d mtime %v, was %q inode %d mtime %v",
			path, now.Data, now.Ino, now.Mtime, s.Data, s.Ino, s.Mtime)
	}
	if !slices.Equal(now.names, s.names) {
		t.Errorf("%s holds %q, held %q: a temp file left behind?", filepath.Dir(path), now.names, s.names)
	}
}

// oldOutput writes the good output a fault must not touch into dir, an
// hour old so that a rewrite could not keep its mtime by chance.
func oldOutput(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(path, []byte(goodOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, hour, hour); err != nil {
		t.Fatal(err)
	}
	return path
}

// file writes content to dir/name and returns its path.
func file(t *testing.T, dir, name, content string) string {
	t.Helper()
	testfiles.Write(t, dir, map[string]string{name: content})
	return filepath.Join(dir, name)
}

type renderFault struct {
	name string
	// args writes what the fault needs into dir and returns render's
	// arguments; old is the good output in place.
	args func(t *testing.T, dir, old string) []string
	// outDir, if set, gives the directory for the old output.
	outDir func(t *testing.T) string
	code   int
	want   []string // regular expressions stderr must match
}

// tmpl is the usual command line: one template, rendered onto old.
func tmpl(text string, flags ...string) func(t *testing.T, dir, old string) []string {
	return func(t *testing.T, dir, old string) []string {
		return append(flags, "-o", old, file(t, dir, "app.conf.tmpl", text))
	}
}

func renderFaults() []renderFault {
	const stopped = `rendering .*app.conf.tmpl: timed out after 1s \(--timeout\); nothing was written`
	const missing = "listen {{ .Env.INITBOX_T_PORT }};\n{{ .Env.INITBOX_T_HOST }}\nroot {{ .cfg.root }};\n"
	return []renderFault{
		{name: "several missing values", code: cli.ExitFailed, args: func(t *testing.T, dir, old string) []string {
			return []string{"--data", "cfg=" + file(t, dir, "cfg.json", "{}"), "-o", old, file(t, dir, "app.conf.tmpl", missing)}
		}, want: []string{`app.conf.tmpl:1:\d+.*INITBOX_T_PORT`, `app.conf.tmpl:2:\d+.*INITBOX_T_HOST`, `app.conf.tmpl:3:\d+.*cfg\.root`, "nothing was written"}},
		{name: "syntax error", code: cli.ExitUsage, args: tmpl("listen {{ if .Env.X }};\n"),
			want: []string{`app.conf.tmpl:\d+ .*unexpected EOF`}},
		{name: "unknown function", code: cli.ExitUsage, args: tmpl("listen {{ frobnicate 80 }};\n"),
			want: []string{`app.conf.tmpl:1 .*function ..frobnicate.. not defined`}},
		{name: "required fails", code: cli.ExitFailed, args: tmpl("listen {{ required \"the port is needed\" .Env.INITBOX_T_PORT }};\n"),
			want: []string{`app.conf.tmpl:1:\d+.*the port is needed`}},
		{name: "data file missing", code: cli.ExitUsage, args: func(t *testing.T, dir, old string) []string {
			return []string{"--data", "cfg=" + filepath.Join(dir, "none.json"), "-o", old, file(t, dir, "a.tmpl", "x")}
		}, want: []string{`--data cfg: .*none.json: no such file`}},
		{name: "data malformed JSON", code: cli.ExitUsage, args: func(t *testing.T, dir, old string) []string {
			return []string{"--data", "cfg=" + file(t, dir, "cfg.json", `{"port": 80,}`), "-o", old, file(t, dir, "a.tmpl", "x")}
		}, want: []string{`--data cfg: .*cfg.json: invalid JSON`}},
		{name: "data malformed YAML", code: cli.ExitUsage, args: func(t *testing.T, dir, old string) []string {
			return []string{"--data", "cfg=" + file(t, dir, "cfg.yaml", "port: 80\n  host: [db\n"), "-o", old, file(t, dir, "a.tmpl", "x")}
		}, want: []string{`--data cfg: .*cfg.yaml: invalid YAML`}},
		{name: "file outside allowed dirs", code: cli.ExitFailed, args: func(t *testing.T, dir, old string) []string {
			allowed := filepath.Join(dir, "allowed")
			file(t, allowed, "ok", "ok")
			return []string{"--allow-dir", allowed, "-o", old, file(t, dir, "a.tmpl", `{{ file "/etc/passwd" }}`)}
		}, want: []string{`a.tmpl:1:\d+ .*file ../etc/passwd..: outside the allowed directories`}},
		{name: "range that never ends", code: cli.ExitTimeout,
			args: tmpl("{{ range 1000000000 }}{{ range 1000000000 }}{{ end }}{{ end }}", "--timeout", "1s"),
			want: []string{stopped}},
		{name: "include that explodes", code: cli.ExitTimeout, args: tmpl(`{{ define "r" }}{{ if lt (len .) 60 }}`+
			`{{ include "r" (print . "x") }}{{ include "r" (print . "x") }}{{ end }}{{ end }}{{ include "r" "" }}`, "--timeout", "1s"),
			want: []string{stopped}},
		{name: "template recursion that explodes", code: cli.ExitTimeout, args: tmpl(`{{ define "r" }}{{ if lt (len .) 60 }}`+
			`{{ template "r" (print . "x") }}{{ template "r" (print . "x") }}{{ end }}{{ end }}{{ template "r" "" }}`, "--timeout", "1s"),
			want: []string{stopped}},
		{name: "tpl that never ends", code: cli.ExitTimeout,
			args: tmpl(`{{ tpl "{{ range 1000000000 }}{{ end }}" . }}`, "--timeout", "1s"),
			want: []string{stopped}},
		{name: "output that explodes", code: cli.ExitFailed,
			args: tmpl("{{ range 1000000000 }}0123456789abcdef0123456789abcdef{{ end }}", "--timeout", "20s"),
			want: []string{`app.conf.tmpl error="output larger than \d+ bytes"`}},
		{name: "validation fails", code: cli.ExitFailed,
			args: tmpl("listen 81;\n", "--validate", `sh -c "echo 'bad listen directive' >&2; exit 3" {}`),
			want: []string{`validating .*app.conf: .*exit status 3; the file was left as it was\nbad listen directive`}},
		{name: "validation hangs", code: cli.ExitTimeout, args: func(t *testing.T, dir, old string) []string {
			pidfile := filepath.Join(dir, "pid")
			t.Cleanup(func() { testproc.Gone(t, pidfile) })
			return tmpl("listen 81;\n", "--timeout", "1s", "--validate", `sh -c "sleep 300 & echo $! >`+pidfile+`; wait" {}`)(t, dir, old)
		}, want: []string{`validating .*app.conf: sh -c sleep 300.*: timed out after 1s \(--timeout\); the file was left as it was`}},
		{name: "output is a directory", code: cli.ExitFailed, args: func(t *testing.T, dir, old string) []string {
			sub := filepath.Join(filepath.Dir(old), "conf.d")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			return []string{"-o", sub, file(t, dir, "a.tmpl", "x")}
		}, want: []string{`conf.d: exists and is not a regular file`}},
		{name: "read-only output directory", code: cli.ExitFailed, outDir: readOnlyDir, args: tmpl("listen 81;\n"),
			want: []string{`output .*app.conf: read-only file system; no output was changed`}},
		{name: "check would change", code: cli.ExitFailed, args: tmpl("listen 81;\n", "--check"),
			want: []string{`would change.*app.conf`, `1 of 1 outputs would change`}},
	}
}

// readOnlyDir is an output directory with the old output on a read-only
// mount.
func readOnlyDir(t *testing.T) string {
	dir := testfs.SmallTmpfs(t, 1<<20)
	oldOutput(t, dir)
	testfs.ReadOnly(t, dir)
	return dir
}

// runBounded is runInitbox that fails the test, instead of hanging it, if
// the command line has not returned after limit.
func runBounded(t *testing.T, limit time.Duration, args ...string) (code int, argv []string, stderr string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, argv, _, stderr = runInitbox(t, args...)
	}()
	select {
	case <-done:
		return code, argv, stderr
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		t.Fatalf("initbox %q still running after %v:\n%s", args, limit, buf[:runtime.Stack(buf, true)])
		return 0, nil, ""
	}
}

// TestRenderFaultMatrix runs render against every fault: each must end
// with the right exit code, promptly, naming the fault, with the old
// output untouched, no temp file left and no goroutine or descriptor
// leaked.
func TestRenderFaultMatrix(t *testing.T) {
	runInitbox(t, "check", "file:///") // starts the runtime's signal goroutine for good
	for _, f := range renderFaults() {
		t.Run(f.name, func(t *testing.T) {
			out := t.TempDir()
			if f.outDir != nil {
				out = f.outDir(t)
			} else {
				oldOutput(t, out)
			}
			old := filepath.Join(out, "app.conf")
			args := append([]string{"render"}, f.args(t, t.TempDir(), old)...)
			before := snap(t, old)
			g0, fd0 := resources(t)

			start := time.Now()
			code, argv, stderr := runBounded(t, 30*time.Second, append(args, "--", "true")...)
			took := time.Since(start)
			t.Logf("exit %d after %v:\n%s", code, took.Round(time.Millisecond), stderr)
			if code != f.code || argv != nil {
				t.Errorf("exit %d, command %q; want %d and no command; stderr:\n%s", code, argv, f.code, stderr)
			}
			for _, want := range f.want {
				if !regexp.MustCompile(want).MatchString(stderr) {
					t.Errorf("stderr does not match %q:\n%s", want, stderr)
				}
			}
			before.unchanged(t, old)
			if g, fd := settled(t, g0, fd0); g > g0 || fd > fd0 {
				buf := make([]byte, 1<<16)
				t.Errorf("leak: goroutines %d -> %d, descriptors %d -> %d\n%s", g0, g, fd0, fd, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestSIGTERMStopsARunawayRender sends SIGTERM to a real initbox busy in a
// template that would never end: it must exit 143 promptly, say what it
// was rendering, and leave the old output as it was.
func TestSIGTERMStopsARunawayRender(t *testing.T) {
	old := oldOutput(t, t.TempDir())
	before := snap(t, old)
	loop := file(t, t.TempDir(), "loop.tmpl", "{{ range 1000000000 }}{{ range 1000000000 }}{{ end }}{{ end }}")
	cmd := exec.Command(binary, "render", "--timeout", "0", "-o", old, loop)
	lines := startWithStderr(t, cmd)
	busy(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		for l := range lines { // all of it, before Wait closes the pipe
			stderr.WriteString(l + "\n")
		}
		done <- cmd.Wait()
	}()
	expectExit(t, cmd, done, 143, 10*time.Second)
	if want := "rendering " + loop + ": interrupted by SIGTERM; nothing was written"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
	}
	before.unchanged(t, old)
}

// busy waits until process pid has run on a CPU for a tenth of a second:
// started, past installing its signal handlers, and in the loop.
func busy(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		// Fields after the command's name, which ends with ")": state is
		// the 1st, utime and stime the 12th and 13th, in clock ticks.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		utime, _ := strconv.Atoi(f[11])
		stime, _ := strconv.Atoi(f[12])
		if utime+stime >= 10 {
			return
		}
	}
	t.Fatalf("process %d never got busy", pid)
}

// hundredKiB is a template whose output is 100 KiB, 25 pages of tmpfs.
const hundredKiB = "{{ range 1600 }}" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n" + "{{ end }}"

// fill leaves only free bytes free on the file system of dir, with a file
// it returns, whose removal frees the rest.
func fill(t *testing.T, dir string, free int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * int64(st.Bsize)
	if avail < free {
		t.Fatalf("%s has only %d bytes free, want %d", dir, avail, free)
	}
	return file(t, dir, "filler", strings.Repeat("f", int(avail-free)))
}

// TestRenderDiskFull renders outputs that do not fit on a small tmpfs:
// render must fail with exit 1, naming the file and the full disk, leave
// every old output as it was and no temp file behind, and succeed once
// there is room.
func TestRenderDiskFull(t *testing.T) {
	t.Run("one output", func(t *testing.T) {
		out := testfs.SmallTmpfs(t, 512<<10)
		old := oldOutput(t, out)
		filler := fill(t, out, 60<<10)
		src := file(t, t.TempDir(), "app.conf.tmpl", hundredKiB)
		args := []string{"render", "-o", old, src}
		before := snap(t, old)
		diskFull(t, args, "app.conf")
		before.unchanged(t, old)
		roomAgain(t, filler, args, old)
	})
	t.Run("tree where the later outputs do not fit", func(t *testing.T) {
		out := testfs.SmallTmpfs(t, 512<<10)
		in := t.TempDir()
		var olds []string
		for _, name := range []string{"a.conf", "b.conf", "c.conf", "d.conf"} {
			file(t, in, name+".tmpl", hundredKiB)
			olds = append(olds, file(t, out, name, "old "+name+"\n"))
		}
		filler := fill(t, out, 240<<10) // a and b fit, c does not
		befores := make([]renderSnapshot, len(olds))
		for i, o := range olds {
			befores[i] = snap(t, o)
		}
		args := []string{"render", "--input-dir", in, "--output-dir", out, "--trim-suffix", ".tmpl"}
		diskFull(t, args, "c.conf")
		for i, o := range olds {
			befores[i].unchanged(t, o)
		}
		roomAgain(t, filler, args, olds...)
	})
}

// diskFull runs render and wants it to fail for want, for lack of space.
func diskFull(t *testing.T, args []string, want string) {
	t.Helper()
	code, argv, stderr := runBounded(t, 30*time.Second, append(args, "--", "true")...)
	t.Logf("exit %d:\n%s", code, stderr)
	if code != cli.ExitFailed || argv != nil {
		t.Errorf("exit %d, command %q; want %d and no command", code, argv, cli.ExitFailed)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(want) + `.*no space left on device`).MatchString(stderr) {
		t.Errorf("stderr does not name %s and the full disk:\n%s", want, stderr)
	}
}

// roomAgain removes the filler and wants render to succeed, writing the
// 100 KiB outputs.
func roomAgain(t *testing.T, filler string, args []string, outs ...string) {
	t.Helper()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBounded(t, 30*time.Second, args...); code != cli.ExitOK {
		t.Errorf("with room again: exit %d:\n%s", code, stderr)
	}
	for _, o := range outs {
		if fi, err := os.Stat(o); err != nil || fi.Size() != 100<<10 {
			t.Errorf("with room again: %s is not the new output: %v", o, err)
		}
	}
	if ns := filestate.Names(t, filepath.Dir(outs[0])); slices.ContainsFunc(ns, func(n string) bool { return strings.HasPrefix(n, ".") }) {
		t.Errorf("temp files left: %q", ns)
	}
}
