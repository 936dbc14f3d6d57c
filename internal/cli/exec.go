package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"syscall"

	"github.com/initbox/initbox/internal/termlog"
)

// splitCommand cuts args at the first "--": what follows is the command to
// exec after success, and may contain further "--" of its own.
func splitCommand(args []string) (before, command []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

// checkCommandArgs looks for the "-- COMMAND" before the step's work, so
// a typo in it is reported now rather than after a long wait.
func (e *env) checkCommandArgs() error {
	if e.command == nil {
		return nil
	}
	if len(e.command) == 0 {
		return usagef(`nothing after "--": give the command to run`)
	}
	if _, err := exec.LookPath(e.command[0]); err != nil {
		return &failure{kind: kindNotFound, err: fmt.Errorf("cannot run the command after \"--\": %w", err)}
	}
	return nil
}

// execAfter runs the command after "--" unless a signal came while the
// step ran: an interrupted pod must not start its app. It returns only on
// failure, with the exit code.
func execAfter(ctx context.Context, argv []string, rec *termlog.Recorder, stderr io.Writer) int {
	err := context.Cause(ctx)
	if err != nil {
		err = fmt.Errorf("%w: not running %q", err, argv[0])
	} else {
		err = execCommand(argv)
	}
	fmt.Fprintf(stderr, "initbox: %v\n", err)
	rec.Add(slog.LevelError, "initbox: "+err.Error())
	return exitCode(err)
}

// execCommand replaces this process with argv, keeping the PID, so the
// command owns signals and the exit code. It returns only on failure, with
// the shell's codes: 127 not found, 126 not executable.
func execCommand(argv []string) error {
	if len(argv) == 0 {
		return usagef(`nothing after "--": give the command to run`)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return &failure{kind: kindNotFound, err: fmt.Errorf("cannot run %q: %w", argv[0], err)}
	}
	err = syscall.Exec(path, argv, os.Environ())
	return &failure{kind: kindNotExecutable, err: fmt.Errorf("cannot run %q: %w", argv[0], err)}
}
