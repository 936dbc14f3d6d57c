package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/initbox/initbox/internal/termlog"
)

// TestSignalStopsTheCommandAfter: a step that completes while SIGTERM
// arrives must not start the command after "--" (here one that does not
// exist: without the check, the answer would be 127).
func TestSignalStopsTheCommandAfter(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(&signalError{sig: syscall.SIGTERM})
	var stderr bytes.Buffer
	if code := execAfter(ctx, []string{"/nonexistent/initbox-app"}, termlog.NewRecorder(slog.DiscardHandler), &stderr); code != 143 {
		t.Errorf("exit %d, want 143 without running the command; stderr: %s", code, stderr.String())
	}
}

// TestCommandThatCannotRun: as in sh, 127 for a command that is not there
// and 126 for one that is but cannot be executed; found before any work.
func TestCommandThatCannotRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain", 0o644, "#!/bin/sh\n")
	write("in-path", 0o644, "#!/bin/sh\n")
	t.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	ready := "file://" + plain
	tests := []struct {
		command string
		code    int
		want    string
	}{
		{"/nonexistent/app", ExitNotFound, "no such file or directory"},
		{"no-such-command-initbox", ExitNotFound, "not found in $PATH"},
		{plain, ExitNotExecutable, "permission denied"},
		{dir, ExitNotExecutable, "is a directory"},
		{"in-path", ExitNotExecutable, plain[:len(plain)-len("plain")] + "in-path is not executable"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			code, argv, _, stderr := runInitbox(t, "wait", "--timeout", "1h", ready, "--", tt.command, "arg")
			if code != tt.code || argv != nil {
				t.Errorf("exit %d, command %q; want %d and nothing to run; stderr:\n%s", code, argv, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.command) || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not name %q and say %q:\n%s", tt.command, tt.want, stderr)
			}
		})
	}
}

// TestCheckFindsTheCommandFirst: check, like wait, tells a command after
// "--" that cannot run whatever its targets say, not only once they are
// healthy (the target here is refused).
func TestCheckFindsTheCommandFirst(t *testing.T) {
	code, argv, _, stderr := runInitbox(t, "check", "tcp://127.0.0.1:1", "--", "no-such-command-initbox")
	if code != ExitNotFound || argv != nil || !strings.Contains(stderr, "not found in $PATH") {
		t.Errorf("exit %d, command %q; want %d and nothing to run; stderr:\n%s", code, argv, ExitNotFound, stderr)
	}
}

// TestExecFailureIs126: a command found and executable whose exec fails
// (here a missing "#!" interpreter) is 126, as in sh. The exec fails, so
// it cannot replace the test process.
func TestExecFailureIs126(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := execAfter(t.Context(), []string{script}, termlog.NewRecorder(slog.DiscardHandler), &stderr); code != ExitNotExecutable {
		t.Errorf("exit %d, want %d; stderr: %s", code, ExitNotExecutable, stderr.String())
	}
}
