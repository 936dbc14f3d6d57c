package processtest

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// TestRunExecKeepsPIDAndExitCode: the file's last exec step replaces the
// real initbox process (same PID, its exit code), read from stdin here.
func TestRunExecKeepsPIDAndExitCode(t *testing.T) {
	cmd := exec.Command(binary, "run", "-")
	cmd.Stdin = strings.NewReader("steps:\n  - wait: file:///\n  - exec: [/bin/sh, -c, 'echo $$; exit 7']\n")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("got %v, want the command's exit code 7\n%s", err, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("command ran as PID %s, want initbox's PID %d", got, cmd.Process.Pid)
	}
}

// TestRunSIGTERMProcess: a real SIGTERM during a step ends the process
// with 143, and the final exec step never runs.
func TestRunSIGTERMProcess(t *testing.T) {
	late := testnet.NewLate(t)
	marker := t.TempDir() + "/ran"
	cmd := exec.Command(binary, "run", "-")
	cmd.Stdin = strings.NewReader("steps:\n  - wait: {target: \"tcp://" + late.Addr + "\", timeout: 10m}\n  - exec: [/bin/touch, " + marker + "]\n")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "msg=waiting") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitSIGTERM {
		t.Fatalf("got %v, want exit 143\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "interrupted (exit 143)") || !strings.Contains(log.String(), "not run") {
		t.Errorf("the summary does not show the interrupted step and the exec not run:\n%s", log.String())
	}
	if _, err := exec.Command("test", "-e", marker).Output(); err == nil {
		t.Error("the exec step ran after SIGTERM")
	}
}
