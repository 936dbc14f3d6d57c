package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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
	_, err := lookCommand(e.command[0])
	return err
}

// lookCommand finds the command after "--" as sh does, and fails with its
// codes: 127 when there is no such command, 126 when there is one that
// cannot be executed (no execute permission, a directory).
func lookCommand(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err // without the "exec: NAME:" that the message says better
	}
	k := kindNotFound
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EISDIR):
		k = kindNotExecutable
	case errors.Is(err, exec.ErrNotFound):
		if p := inPath(name); p != "" {
			// sh, too, says "Permission denied" (126) for a file in
			// $PATH without execute permission.
			k, err = kindNotExecutable, fmt.Errorf("%s is not executable", p)
		}
	}
	return "", &failure{kind: k, err: fmt.Errorf("cannot run %q, the command after \"--\": %w", name, err)}
}

// inPath returns the first regular file called name in $PATH, or "".
func inPath(name string) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
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
	path, err := lookCommand(argv[0])
	if err != nil {
		return err
	}
	err = syscall.Exec(path, argv, os.Environ())
	// Found but not run: a bad "#!" interpreter, the wrong architecture.
	// sh says 126 for these too.
	return &failure{kind: kindNotExecutable, err: fmt.Errorf("cannot run %q: %w", argv[0], err)}
}
