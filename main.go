// Command initbox waits for dependencies, fetches files and renders
// configuration: the jobs of Kubernetes initContainers and compose
// healthchecks, in one small static binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/initbox/initbox/checks"
)

// Exit codes, as in the command-line contract.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitTimeout = 124 // like timeout(1)
)

func main() {
	code, argv := run(context.Background(), os.Args, os.Stdout, os.Stderr)
	if argv != nil {
		code = execCommand(argv, os.Stderr)
	}
	os.Exit(code)
}

// run executes one initbox command line. It returns the exit code and, when
// the command succeeded and a "-- COMMAND" followed it, the command to
// replace this process with.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, []string) {
	args, command := splitCommand(args)
	e := &env{stdout: stdout, stderr: stderr, command: command}
	err := newApp(e).RunContext(ctx, args)
	code := exitCode(err)
	if code != exitOK {
		e.reportError(err)
		return code, nil
	}
	return code, command
}

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

// exitCode maps an error to the process's exit code, in this one place.
func exitCode(err error) int {
	var (
		usage   *usageError
		cusage  *checks.UsageError
		signal  *signalError
		exitErr *exitError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &signal):
		return 128 + int(signal.sig)
	case errors.As(err, &usage), errors.As(err, &cusage):
		return exitUsage
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case errors.As(err, &exitErr):
		return exitErr.code
	default:
		return exitFailed
	}
}

// usageError is a mistake on the command line, found before any work.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// exitError ends a command with a given exit code; logged says its message
// has been logged already.
type exitError struct {
	code   int
	err    error
	logged bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// signalError is the cancel cause when SIGINT or SIGTERM arrives.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// withSignals returns a context cancelled, with a *signalError cause, by the
// first SIGINT or SIGTERM; a second one kills the process the usual way.
// Commands that work call it themselves, so that "version" starts without
// the cost. Handlers matter even where the default action would do: as PID 1
// in a container, a process without one ignores SIGTERM.
func withSignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Reset(syscall.SIGINT, syscall.SIGTERM)
			cancel(&signalError{sig: s.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// execCommand replaces this process with argv, keeping the PID, so the
// command owns signals and the exit code. It returns only on failure, with
// the shell's codes: 127 not found, 126 not executable.
func execCommand(argv []string, stderr io.Writer) int {
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "initbox: nothing after \"--\": give the command to run")
		return exitUsage
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(stderr, "initbox: cannot run %q: %v\n", argv[0], err)
		return 127
	}
	err = syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(stderr, "initbox: cannot run %q: %v\n", argv[0], err)
	return 126
}
