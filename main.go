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
	ctx := withSignals(context.Background())
	code, argv := run(ctx, os.Args, os.Stdout, os.Stderr)
	if argv != nil {
		code = execAfter(ctx, argv, os.Stderr)
	}
	os.Exit(code)
}

// run executes one initbox command line; ctx carries SIGINT and SIGTERM as
// its cancel cause (see withSignals). It returns the exit code and, when
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
	return code, e.command // run's may come from its file
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
// main calls it first, for every command, so that no moment of a run is
// left to the default action: until signal.Notify, Go's runtime dies of
// SIGTERM, and as PID 1 of a container, which the kernel does not let die
// that way, it exits 2 (a usage error) instead of 143. That costs "version"
// some 0.4 ms of start-up, for the thread the runtime starts for signals.
// Commands read the cause from their context.
func withSignals(parent context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-ch
		signal.Reset(syscall.SIGINT, syscall.SIGTERM)
		cancel(&signalError{sig: s.(syscall.Signal)})
	}()
	return ctx
}

// execAfter runs the command after "--" unless a signal came while the
// step ran: an interrupted pod must not start its app.
func execAfter(ctx context.Context, argv []string, stderr io.Writer) int {
	if cause := context.Cause(ctx); cause != nil {
		fmt.Fprintf(stderr, "initbox: %v: not running %q\n", cause, argv[0])
		return exitCode(cause)
	}
	return execCommand(argv, stderr)
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
