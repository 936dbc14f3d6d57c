package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/filestate"
	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// writeSpec writes a spec file into dir; ${...} in text is the file's own
// interpolation, so the test fills in its values with fmt verbs.
func writeSpec(t *testing.T, dir, format string, a ...any) string {
	t.Helper()
	path := filepath.Join(dir, "init.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, format, a...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hitServer serves files and counts the requests for each path.
type hitServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newCountingServer(t *testing.T, files map[string][]byte) *hitServer {
	s := &hitServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		testfiles.Handler(files)(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *hitServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// TestRunEveryStepKind runs each kind of step from a file against real
// servers: a TCP listener, an HTTP server, a file server, a template, a
// child process and the final exec.
func TestRunEveryStepKind(t *testing.T) {
	dir := t.TempDir()
	ln := testnet.Listen(t)
	go testnet.AcceptAndClose(ln)
	model := []byte("weights\n")
	files := newCountingServer(t, map[string][]byte{"/healthz": []byte("ok"), "/model.bin": model})
	testfiles.Write(t, dir, map[string]string{"app.conf.tmpl": "db={{ .Env.DB_ADDR }} model={{ .m.size }}\n",
		"m.json": `{"size": 8}`})
	t.Setenv("DB_ADDR", ln.Addr().String())
	spec := writeSpec(t, dir, `# yaml-language-server: $schema=../docs/run.schema.json
deadline: 2m
steps:
  - name: deps
    parallel:
      - wait: {targets: ["tcp://${DB_ADDR}"], timeout: 1m}
      - wait: {target: "%[1]s/healthz", status: "200", expect-body: ok}
  - check: {target: "tcp://${DB_ADDR}"}
  - name: model
    fetch:
      url: %[1]s/model.bin
      sha256: %[2]s
      output: %[3]s/shared/model.bin
  - name: config
    render:
      template: %[3]s/app.conf.tmpl
      data: [m=%[3]s/m.json]
      output: %[3]s/shared/app.conf
  - name: marker
    exec: {command: [/bin/sh, -c, 'echo "$1" > "$2"', sh, "${DB_ADDR:-none}", %[3]s/shared/marker]}
  - exec: [/bin/echo, started]
`, files.URL, testfiles.SHA256(model), dir)

	code, argv, _, stderr := runInitbox(t, "run", spec)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if want := []string{"/bin/echo", "started"}; !slices.Equal(argv, want) {
		t.Errorf("would exec %q, want %q", argv, want)
	}
	assertContent(t, filepath.Join(dir, "shared/model.bin"), model)
	assertContent(t, filepath.Join(dir, "shared/app.conf"), []byte("db="+ln.Addr().String()+" model=8\n"))
	assertContent(t, filepath.Join(dir, "shared/marker"), []byte(ln.Addr().String()+"\n"))
	for _, want := range []string{
		`msg=starting step=wait#1.1 command="initbox wait --timeout=1m tcp://127.0.0.1:`,
		`msg=ready step=wait#1.2 target=http://`, `msg=done step=model`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not show %q:\n%s", want, stderr)
		}
	}
	for _, row := range [][]string{{"STEP", "NAME", "KIND", "RESULT", "TIME"}, {"1", "deps", "parallel", "ok"},
		{"1.2", "-", "wait", "ok"}, {"2", "-", "check", "ok"}, {"3", "model", "fetch", "ok"},
		{"5", "marker", "exec", "ok"}, {"6", "-", "exec", "replaces initbox"}} {
		assertRow(t, stderr, row...)
	}
}

// TestRunTwiceChangesNothing: a second run of the same file writes nothing
// and makes no request that the steps' own idempotence avoids.
func TestRunTwiceChangesNothing(t *testing.T) {
	dir := t.TempDir()
	data := []byte("data\n")
	files := newCountingServer(t, map[string][]byte{"/a.bin": data, "/b.txt": []byte("b\n")})
	testfiles.Write(t, dir, map[string]string{"t.tmpl": "x={{ .Env.HOME }}\n"})
	spec := writeSpec(t, dir, `steps:
  - fetch: {url: %[1]s/a.bin, sha256: %[2]s, output: %[3]s/out/a.bin}
  - fetch: {url: %[1]s/b.txt, output: %[3]s/out/b.txt}
  - render: {template: %[3]s/t.tmpl, output: %[3]s/out/t}
`, files.URL, testfiles.SHA256(data), dir)
	if code, _, _, stderr := runInitbox(t, "run", spec); code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	before := map[string]filestate.State{}
	for _, f := range []string{"a.bin", "b.txt", "t"} {
		before[f] = filestate.Of(t, filepath.Join(dir, "out", f))
	}
	hitsA := files.count("/a.bin")
	code, _, _, stderr := runInitbox(t, "run", spec)
	if code != ExitOK {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	for f, s := range before {
		if after := filestate.Of(t, filepath.Join(dir, "out", f)); after != s {
			t.Errorf("the second run changed %s: %+v, was %+v", f, after, s)
		}
	}
	if got := files.count("/a.bin"); got != hitsA {
		t.Errorf("second run fetched a.bin again (%d requests, was %d): its checksum matched", got, hitsA)
	}
}

// barrier answers each of its servers' requests only once every server
// has been contacted: steps run one after the other can never pass it.
func barrier(t *testing.T, n int) []string {
	var contacted atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	urls := make([]string, n)
	seen := make([]atomic.Bool, n)
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !seen[i].Swap(true) && contacted.Add(1) == int32(n) {
				once.Do(func() { close(all) })
			}
			select {
			case <-all:
				w.WriteHeader(http.StatusOK)
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	return urls
}

// TestRunGroupRunsInParallel proves the overlap: two servers answer only
// once both have been asked, which steps in a group pass and the same
// steps in sequence cannot.
func TestRunGroupRunsInParallel(t *testing.T) {
	urls := barrier(t, 2)
	dir := t.TempDir()
	spec := writeSpec(t, dir, `steps:
  - parallel:
      - wait: {target: %s, timeout: 2m, attempt-timeout: 1m}
      - wait: {target: %s, timeout: 2m, attempt-timeout: 1m}
`, urls[0], urls[1])
	if code, _, _, stderr := runInitbox(t, "run", spec); code != ExitOK {
		t.Fatalf("parallel: exit %d\n%s", code, stderr)
	}

	urls = barrier(t, 2)
	spec = writeSpec(t, dir, `steps:
  - wait: {target: %s, timeout: 1s}
  - wait: {target: %s, timeout: 1s}
`, urls[0], urls[1])
	code, _, _, stderr := runInitbox(t, "run", spec)
	if code != ExitTimeout {
		t.Fatalf("in sequence: exit %d, want 124 at step 1:\n%s", code, stderr)
	}
	assertRow(t, stderr, "1", "-", "wait", `timed out \(exit 124\)`)
	assertRow(t, stderr, "2", "-", "wait", "not run")
}

// TestRunStopsAtFirstFailure: its exit code is the run's, and later steps
// never run.
func TestRunStopsAtFirstFailure(t *testing.T) {
	refused := testnet.NewLate(t)
	for _, tc := range []struct {
		name, step string
		code       int
		state      string
	}{
		{"check fails", `check: {target: "tcp://` + refused.Addr + `"}`, ExitFailed, "failed (exit 1)"},
		{"wait times out", `wait: {target: "tcp://` + refused.Addr + `", timeout: 300ms}`, ExitTimeout, "timed out (exit 124)"},
		{"deadline", `wait: {target: "tcp://` + refused.Addr + `", timeout: 5m}`, ExitTimeout, "timed out (exit 124)"},
		{"fetch 404", `fetch: {url: "%[1]s/missing", output: "%[2]s/x"}`, ExitFailed, "failed (exit 1)"},
		{"child exits 3", `exec: [/bin/sh, -c, "exit 3"]`, 3, "failed (exit 3)"},
		{"group member fails", `parallel: [{check: "tcp://` + refused.Addr + `"}, {wait: {target: "tcp://` + refused.Addr + `", timeout: 10m}}]`,
			ExitFailed, "failed (exit 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := newCountingServer(t, nil)
			deadline := ""
			if tc.name == "deadline" {
				deadline = "deadline: 300ms\n"
			}
			testfiles.Write(t, dir, map[string]string{"t.tmpl": "x\n"})
			spec := writeSpec(t, dir, deadline+"steps:\n  - "+tc.step+"\n  - render: {template: %[2]s/t.tmpl, output: %[2]s/out}\n", files.URL, dir)
			code, argv, _, stderr := runInitbox(t, "run", spec, "--", "/bin/true")
			if code != tc.code || argv != nil {
				t.Fatalf("exit %d, argv %q; want %d and no exec\n%s", code, argv, tc.code, stderr)
			}
			assertRow(t, stderr, "1", "-", `\w+`, regexp.QuoteMeta(tc.state))
			assertRow(t, stderr, "2", "-", "render", "not run")
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("the step after the failure ran: %v", err)
			}
			if tc.name == "group member fails" && !strings.Contains(stderr, "cancelled") {
				t.Errorf("the other member was not cancelled:\n%s", stderr)
			}
			if tc.name == "deadline" && !strings.Contains(stderr, "deadline of 300ms passed") {
				t.Errorf("the deadline is not named:\n%s", stderr)
			}
		})
	}
}

// TestRunSIGTERM stops the current step, in-process and in a child, as
// the command would stop: 143, nothing after it, no exec.
func TestRunSIGTERM(t *testing.T) {
	for _, step := range []string{"wait: {target: %s, timeout: 10m}", "exec: [/bin/sh, -c, 'touch %s; exec sleep 600']"} {
		t.Run(strings.Fields(step)[0], func(t *testing.T) {
			started := make(chan struct{})
			var once sync.Once
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() { close(started) })
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			marker := filepath.Join(dir, "started")
			arg := srv.URL
			if strings.HasPrefix(step, "exec") {
				arg = marker
				go pollFile(t, marker, func() { once.Do(func() { close(started) }) })
			}
			spec := writeSpec(t, dir, "steps:\n  - "+step+"\n  - exec: [/bin/true]\n", arg)
			ctx, cancel := context.WithCancelCause(t.Context())
			go func() {
				<-started
				cancel(&signalError{sig: syscall.SIGTERM})
			}()
			var out, errOut strings.Builder
			code, argv := Run(ctx, []string{"initbox", "run", spec}, &out, &errOut)
			if code != 143 || argv != nil {
				t.Fatalf("exit %d, argv %q; want 143 and no exec\n%s", code, argv, errOut.String())
			}
			if !strings.Contains(errOut.String(), "interrupted (exit 143)") {
				t.Errorf("summary does not say interrupted:\n%s", errOut.String())
			}
		})
	}
}

// pollFile calls done once path exists.
func pollFile(t *testing.T, path string, done func()) {
	for t.Context().Err() == nil {
		if _, err := os.Stat(path); err == nil {
			done()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertRow finds a row of the summary table: its cells (regular
// expressions) separated by blanks.
func assertRow(t *testing.T, stderr string, cells ...string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + strings.Join(cells, `\s+`) + `(\s|$)`)
	if !re.MatchString(stderr) {
		t.Errorf("the summary has no row %q:\n%s", cells, stderr)
	}
}

// TestRunListValuesKeepCommas: a list's item is one value, commas and all,
// as a header's value often has them.
func TestRunListValuesKeepCommas(t *testing.T) {
	const accept = "text/html, application/json"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != accept {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	spec := writeSpec(t, t.TempDir(), "steps:\n  - check: {target: %s, header: [\"Accept: %s\"]}\n", srv.URL, accept)
	if code, _, _, stderr := runInitbox(t, "run", spec); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
