package cli

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Exit codes, as in the command-line contract. exitCode below is the one
// place that picks them: commands return errors of a kind, never a number.
const (
	ExitOK            = 0
	ExitFailed        = 1   // not ready, download or render failed
	ExitUsage         = 2   // bad flag, target or template, found before any work
	ExitTimeout       = 124 // the deadline passed, like timeout(1)
	ExitNotExecutable = 126 // the command after "--" would not run, as in sh
	ExitNotFound      = 127 // the command after "--" is not there, as in sh
	ExitSIGINT        = 128 + int(syscall.SIGINT)
	ExitSIGTERM       = 128 + int(syscall.SIGTERM)
)

// exitCode maps an error to the process's exit code. The order is the
// precedence: a signal beats everything (the pod is going away), then a
// usage error (nothing was tried), then the deadline, then what a command
// said went wrong.
//
//	error                                          code
//	nil                                            0
//	*stepError (a step of initbox run failed)      the step's code, from this table
//	*signalError (SIGINT, SIGTERM) in the chain    130, 143
//	a usage error: Usage() bool reports true       2
//	context.DeadlineExceeded in the chain          124
//	*failure of kindTimeout                        124
//	*failure of kindNotExecutable, kindNotFound    126, 127
//	*childExit (a step of run that is a command)   its status; 128+N if
//	                                               killed by signal N
//	anything else (*failure of kindFailed too)     1
//
// Usage errors are *usageError here, and any library error with a
// Usage() bool method (checks.UsageError, fetch.UsageError, render's
// SyntaxError): the libraries say what is wrong, this says what it costs.
func exitCode(err error) int {
	var (
		sig   *signalError
		f     *failure
		step  *stepError
		child *childExit
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &step):
		return step.code
	case errors.As(err, &sig):
		if sig.sig == syscall.SIGTERM {
			return ExitSIGTERM
		}
		return ExitSIGINT
	case isUsage(err):
		return ExitUsage
	case errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	case errors.As(err, &f):
		return kindCodes[f.kind]
	case errors.As(err, &child) && child.signal != 0:
		return 128 + int(child.signal) // as a shell reports it
	case errors.As(err, &child):
		return child.status
	default:
		return ExitFailed
	}
}

// kind is what went wrong, for a *failure.
type kind int

const (
	kindFailed kind = iota
	kindTimeout
	kindNotExecutable
	kindNotFound
)

var kindCodes = map[kind]int{
	kindFailed:        ExitFailed,
	kindTimeout:       ExitTimeout,
	kindNotExecutable: ExitNotExecutable,
	kindNotFound:      ExitNotFound,
}

// failure ends a command: err is its error, kind its exit code, and logged
// says its message has been logged already.
type failure struct {
	kind   kind
	err    error
	logged bool
}

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// loggedErr marks err as logged by the command already: reportError adds
// nothing, and exitCode still sees what err is.
func loggedErr(k kind, err error) error { return &failure{kind: k, err: err, logged: true} }

// childExit is how a command that initbox ran as a child ended: its exit
// status, or the signal that killed it, becomes initbox's, as a shell
// passes a command's on.
type childExit struct {
	status int
	signal syscall.Signal
	err    error
}

func (e *childExit) Error() string { return e.err.Error() }

// usageError is a mistake on the command line, found before any work.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) Usage() bool   { return true }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// isUsage reports whether err is a mistake of the caller's: anything in
// its chain that says so through a Usage() bool method.
func isUsage(err error) bool {
	var u interface{ Usage() bool }
	return errors.As(err, &u) && u.Usage()
}
