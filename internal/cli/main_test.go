package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/clitest"
	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// runInitbox runs a command line in-process, as main would.
var runInitbox = clitest.Run

func TestBadInputExitsTwoBeforeWaiting(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"no targets", []string{"wait"}, "no targets"},
		{"unknown flag", []string{"wait", "--frob", "tcp://db:1"}, "-frob"},
		{"unknown scheme", []string{"wait", "ftp://db:21"}, `unknown scheme "ftp"`},
		{"missing port", []string{"wait", "tcp://db"}, "tcp://db: want HOST:PORT"},
		{"bad URL", []string{"check", "http://[::1/"}, "bad URL"},
		{"bad regex", []string{"wait", "--expect-regex", "(", "http://app/"}, "--expect-regex"},
		{"unreadable CA file", []string{"wait", "--ca-file", filepath.Join(dir, "none.pem"), "https://app/"}, "none.pem"},
		{"bad log format", []string{"--log-format", "xml", "wait", "tcp://db:1"}, `"xml"`},
		{"negative timeout", []string{"wait", "--timeout", "-1s", "tcp://db:1"}, "--timeout"},
		{"bad duration", []string{"wait", "--timeout", "soon", "tcp://db:1"}, "soon"},
		{"nothing after --", []string{"wait", "tcp://db:1", "--"}, `nothing after "--"`},
		{"serve with a command", []string{"serve", "tcp://db:1", "--", "true"}, `serve runs until it is stopped`},
		{"interval above max", []string{"wait", "--interval", "2s", "tcp://db:1"}, "--max-interval"},
		{"bad DNS type", []string{"wait", "--dns-type", "PTRX", "dns://db"}, "PTRX"},
		{"bad DNS resolver", []string{"check", "--dns-resolver", "bionic", "dns://db"}, `--dns-resolver "bionic"`},
		{"bad redirects", []string{"check", "--redirects", "some", "http://app/"}, `--redirects "some"`},
		{"two redirect flags", []string{"check", "--redirects", "none", "--follow-redirects", "http://app/"}, "--follow-redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, argv, _, stderr := runInitbox(t, tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, cli.ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.want)
			}
			if argv != nil {
				t.Errorf("would exec %q after a usage error", argv)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a panic:\n%s", stderr)
			}
		})
	}
}

func TestWaitTimesOutWith124AndNamesEachTarget(t *testing.T) {
	refused := testnet.NewLate(t)
	up := faults.AcceptClose(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()

	code, argv, stdout, stderr := runInitbox(t, "wait", "--timeout", "400ms",
		"tcp://"+refused.Addr, "tcp://"+up, srv.URL+"/ready", "--", "true")
	if code != cli.ExitTimeout {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, cli.ExitTimeout, stderr)
	}
	if argv != nil {
		t.Errorf("would exec %q after a timeout", argv)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing: it carries data only", stdout)
	}
	for _, want := range []string{
		`msg="timed out"`,
		"target=tcp://" + refused.Addr, "connection refused",
		"target=" + srv.URL + "/ready", "status 404 Not Found, want 200-399",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if strings.Count(stderr, `msg=waiting target=tcp://`+refused.Addr) != 1 {
		t.Errorf("want one 'waiting' line per state change, not per attempt:\n%s", stderr)
	}
}

func TestWaitSuccessReturnsCommandToExec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, argv, _, stderr := runInitbox(t, "wait", "file://"+path, "--", "true", "--", "x")
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if want := []string{"true", "--", "x"}; strings.Join(argv, " ") != strings.Join(want, " ") {
		t.Errorf("command %q, want %q", argv, want)
	}
	if !strings.Contains(stderr, `msg="all 1 target ready"`) {
		t.Errorf("no verdict line:\n%s", stderr)
	}
}

func TestWaitMissingCommandFailsBeforeWaiting(t *testing.T) {
	late := testnet.NewLate(t)
	code, _, _, stderr := runInitbox(t, "wait", "--timeout", "1h", "tcp://"+late.Addr, "--", "no-such-command-initbox")
	if code != 127 {
		t.Fatalf("exit %d, want 127; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "no-such-command-initbox") {
		t.Errorf("stderr does not name the command:\n%s", stderr)
	}
}

func TestCheckExitCodes(t *testing.T) {
	late := testnet.NewLate(t)
	path := filepath.Join(t.TempDir(), "ready")
	os.WriteFile(path, nil, 0o644)

	code, _, stdout, stderr := runInitbox(t, "check", "file://"+path)
	if code != cli.ExitOK || stdout != "" || stderr != "" {
		t.Errorf("healthy: exit %d, stdout %q, stderr %q; want 0 and silence", code, stdout, stderr)
	}
	code, _, _, stderr = runInitbox(t, "check", "file://"+path, "tcp://"+late.Addr)
	if code != cli.ExitFailed || !strings.Contains(stderr, "connection refused") {
		t.Errorf("unhealthy: exit %d, stderr %q; want 1 and the reason", code, stderr)
	}
	code, _, _, _ = runInitbox(t, "check", "--any", "file://"+path, "tcp://"+late.Addr)
	if code != cli.ExitOK {
		t.Errorf("--any with one healthy: exit %d, want 0", code)
	}
}

func TestJSONLogsAndQuiet(t *testing.T) {
	late := testnet.NewLate(t)
	_, _, _, stderr := runInitbox(t, "--log-format", "json", "wait", "--timeout", "250ms", "tcp://"+late.Addr)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
	}
	if len(lines) < 3 {
		t.Errorf("got %d JSON lines, want waiting, timed out, not ready", len(lines))
	}

	_, _, _, stderr = runInitbox(t, "-q", "wait", "--timeout", "250ms", "tcp://"+late.Addr)
	if strings.Contains(stderr, "level=INFO") || !strings.Contains(stderr, "level=ERROR") {
		t.Errorf("-q: want errors only:\n%s", stderr)
	}
}

func TestOptionsFromEnvironment(t *testing.T) {
	late := testnet.NewLate(t)
	t.Setenv("INITBOX_TIMEOUT", "200ms")
	t.Setenv("INITBOX_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr bytes.Buffer
	code, _ := cli.Run(ctx, []string{"initbox", "wait", "tcp://" + late.Addr}, &bytes.Buffer{}, &stderr)
	if code != cli.ExitTimeout {
		t.Fatalf("exit %d, want %d (INITBOX_TIMEOUT=200ms)", code, cli.ExitTimeout)
	}
	if !strings.HasPrefix(stderr.String(), "{") {
		t.Errorf("INITBOX_LOG_FORMAT=json ignored:\n%s", stderr.String())
	}
}

func TestVersion(t *testing.T) {
	code, _, stdout, _ := runInitbox(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "initbox ") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}
