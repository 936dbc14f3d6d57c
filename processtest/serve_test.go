package processtest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// startServe runs initbox serve on a free loopback port and returns the
// process, its stderr lines, and its base URL.
func startServe(t *testing.T, args ...string) (*exec.Cmd, <-chan string, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0", "--interval", "100ms"}, args...)...)
	lines := startWithStderr(t, cmd)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := lineWith(t, lines, "msg=serving")
	_, addr, _ := strings.Cut(line, "address=")
	addr, _, _ = strings.Cut(addr, " ")
	return cmd, lines, "http://" + addr
}

// curl asks Debian's curl, as a probe or a person would, and returns the
// status and body.
func curl(t *testing.T, url string, header ...string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("INITBOX_REQUIRE_SERVERS") == "1" {
			t.Fatalf("no curl (scripts/deps.sh installs it): %v", err)
		}
		t.Skipf("SKIPPED: no curl: %v", err)
	}
	args := []string{"-s", "--max-time", "10", "-w", "\n%{http_code}", url}
	for _, h := range header {
		args = append(args, "-H", h)
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", url, err)
	}
	i := strings.LastIndexByte(string(out), '\n')
	return string(out[i+1:]), string(out[:i])
}

func TestServeAnswersCurl(t *testing.T) {
	late := testnet.NewLate(t)
	cmd, lines, url := startServe(t, "tcp://"+late.Addr, "file:///")
	lineWith(t, lines, `msg="not ready" target=tcp://`+late.Addr)
	code, body := curl(t, url+"/readyz")
	if code != "503" || !strings.Contains(body, "tcp://"+late.Addr+": ") || !strings.Contains(body, "connection refused") {
		t.Errorf("/readyz while the port is closed: %s %q, want 503 naming it", code, body)
	}
	if code, body := curl(t, url+"/readyz", "Accept: application/json"); code != "503" || !strings.HasPrefix(body, `{"ok":false`) {
		t.Errorf("/readyz as JSON: %s %q", code, body)
	}
	ln := late.Listen(t, 128)
	go testnet.AcceptAndClose(ln)
	lineWith(t, lines, "msg=ready target=tcp://"+late.Addr)
	for _, path := range []string{"/readyz", "/startupz", "/livez"} {
		if code, body := curl(t, url+path); code != "200" || body != "ok\n" {
			t.Errorf("%s: %s %q, want 200 ok", path, code, body)
		}
	}
	if code, body := curl(t, url+"/metrics"); code != "200" || !strings.Contains(body, `initbox_target_ready{target="tcp://`+late.Addr+`"} 1`) {
		t.Errorf("/metrics: %s %q", code, body)
	}

	// SIGTERM ends a sidecar at once, and that is no failure.
	cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 0, 10*time.Second)
}

func TestServeLogsChangesOnly(t *testing.T) {
	late := testnet.NewLate(t)
	_, lines, url := startServe(t, "tcp://"+late.Addr)
	lineWith(t, lines, `msg="not ready"`)
	for range 20 {
		curl(t, url+"/readyz")
	}
	ln := late.Listen(t, 128)
	go testnet.AcceptAndClose(ln)
	// The next line after the first "not ready" must be "ready": ten
	// checks a second and twenty probes logged nothing in between.
	if line := <-lines; !strings.Contains(line, "msg=ready") {
		t.Errorf("line after the first state: %q, want the change to ready", line)
	}
}

func TestServeListenError(t *testing.T) {
	ln := testnet.Listen(t)
	code, _, _, stderr := runInitbox(t, "serve", "--listen", ln.Addr().String(), "file:///")
	if code != cli.ExitFailed || !strings.Contains(stderr, "--listen") || !strings.Contains(stderr, "address already in use") {
		t.Errorf("serve on a taken port: exit %d, stderr %q", code, stderr)
	}
}

func TestGoneCommands(t *testing.T) {
	late := testnet.NewLate(t)
	code, _, _, stderr := runInitbox(t, "wait", "--gone", "--timeout", "30s", "tcp://"+late.Addr)
	if code != cli.ExitOK || !strings.Contains(stderr, "msg=gone") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("wait --gone on a closed port: exit %d, stderr:\n%s", code, stderr)
	}
	ln := late.Listen(t, 128)
	go testnet.AcceptAndClose(ln)
	code, _, _, stderr = runInitbox(t, "check", "--gone", "tcp://"+late.Addr)
	if code != cli.ExitFailed || !strings.Contains(stderr, `msg="not gone"`) || !strings.Contains(stderr, "still there: accepts connections") {
		t.Errorf("check --gone on an open port: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, _, stderr = runInitbox(t, "wait", "--gone", "--timeout", "300ms", "tcp://"+late.Addr)
	if code != cli.ExitTimeout || !strings.Contains(stderr, `msg="not gone"`) || !strings.Contains(stderr, `last_error="still there: accepts connections"`) {
		t.Errorf("wait --gone on an open port: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestTerminationMessage(t *testing.T) {
	late := testnet.NewLate(t)
	path := filepath.Join(t.TempDir(), "termination-log")
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	secret := "http://app:s3cr3tpw@" + late.Addr + "/ready"
	code, _, _, _ := runInitbox(t, "wait", "--termination-log", path, "--timeout", "300ms", "tcp://"+late.Addr, secret)
	msg := read()
	if code != cli.ExitTimeout || !strings.HasPrefix(msg, "timed out ") || !strings.Contains(msg, "target=tcp://"+late.Addr+" attempts=") ||
		!strings.Contains(msg, "connection refused") || strings.Contains(msg, "s3cr3tpw") {
		t.Errorf("exit %d, message:\n%s", code, msg)
	}

	t.Setenv("INITBOX_TERMINATION_LOG", path)
	runInitbox(t, "check", "file:///")
	if msg := read(); msg != "initbox check: ok\n" {
		t.Errorf("check's success: %q, want one line", msg)
	}
	runInitbox(t, "wait", "file:///")
	if msg := read(); !strings.HasPrefix(msg, "all 1 target ready elapsed=") || strings.Count(msg, "\n") != 1 {
		t.Errorf("wait's success: %q, want one line", msg)
	}
	runInitbox(t, "wait", "--frob", "file:///")
	if msg := read(); !strings.Contains(msg, "-frob") {
		t.Errorf("usage error: %q, want the message", msg)
	}
	// A command after "--" that exists but will not run: the exec fails
	// after the wait, and the message says why.
	garbage := filepath.Join(t.TempDir(), "app")
	os.WriteFile(garbage, []byte("\x00\x01not a program"), 0o755)
	if code := cli.Main(t.Context(), []string{"initbox", "wait", "file:///", "--", garbage}, io.Discard, io.Discard); code != cli.ExitNotExecutable {
		t.Errorf("exec of garbage: exit %d, want %d", code, cli.ExitNotExecutable)
	}
	if msg := read(); !strings.Contains(msg, "cannot run") || !strings.Contains(msg, garbage) {
		t.Errorf("failed exec: %q, want why", msg)
	}

	os.WriteFile(path, []byte("before\n"), 0o644)
	t.Setenv("INITBOX_TERMINATION_LOG", "-")
	runInitbox(t, "wait", "file:///")
	if msg := read(); msg != "before\n" {
		t.Errorf("with -, the file changed: %q", msg)
	}
}
