package processtest

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// binary is initbox built once for the tests that need a real process:
// exec, signals, exit codes.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("processtest: the process-level suites skip under -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "initbox-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "initbox")
	if out, err := exec.Command("go", "build", "-o", binary, "github.com/initbox/initbox").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestExecKeepsPIDAndExitCode(t *testing.T) {
	cmd := exec.Command(binary, "wait", "file:///", "--", "/bin/sh", "-c", "echo $$; exit 7")
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("got %v, want the command's exit code 7", err)
	}
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("command ran as PID %s, want initbox's PID %d", got, cmd.Process.Pid)
	}
}

func TestCommandNeverRunsAfterTimeout(t *testing.T) {
	late := testnet.NewLate(t)
	marker := filepath.Join(t.TempDir(), "ran")
	cmd := exec.Command(binary, "wait", "--timeout", "300ms", "tcp://"+late.Addr, "--", "/bin/touch", marker)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitTimeout {
		t.Fatalf("got %v, want exit %d", err, cli.ExitTimeout)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran after a timeout")
	}
}

func TestSignalsStopWaiting(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			late := testnet.NewLate(t)
			cmd := exec.Command(binary, "wait", "tcp://"+late.Addr, "--", "/bin/true")
			stderr := startWithStderr(t, cmd)
			lineWith(t, stderr, "msg=waiting")
			cmd.Process.Signal(tt.sig)
			waitExit(t, cmd, tt.code, 5*time.Second)
		})
	}
}

// startWithStderr starts cmd and returns its stderr, line by line.
func startWithStderr(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// lineWith reads lines until one contains want, and returns it.
func lineWith(t *testing.T, lines <-chan string, want string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("output ended without %q", want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf("no %q in output after 30 s", want)
		}
	}
}

// waitExit waits for cmd, signalled a moment ago, and checks its exit
// code as expectExit does.
func waitExit(t *testing.T, cmd *exec.Cmd, code int, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	expectExit(t, cmd, done, code, limit)
}

// expectExit waits for the exit that done reports (cmd.Wait's error) and
// checks its code; a process still running after limit is killed and fails
// the test.
func expectExit(t *testing.T, cmd *exec.Cmd, done <-chan error, code int, limit time.Duration) {
	t.Helper()
	select {
	case err := <-done:
		got := 0 // a nil error: exit 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			got = -1 // not an exit: Wait itself failed
		}
		if got != code {
			t.Fatalf("got %v, want exit %d", err, code)
		}
	case <-time.After(limit):
		cmd.Process.Kill()
		t.Fatalf("still running %v after the signal", limit)
	}
}
