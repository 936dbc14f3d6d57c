// Package hangup recognises a server that closed the connection on its
// client, whichever way the client's kernel reports it.
package hangup

import (
	"errors"
	"io"
	"syscall"
)

// Reason is the one way a hang-up reads in a log line or an error.
const Reason = "the server closed the connection"

// Is reports an error that means the server closed the connection: an end
// of stream, or a reset (or EPIPE) when bytes of ours were still unread
// there, for its kernel then sends a reset instead. Which of the two a
// client sees is a race with its own write, so callers give both one
// reason, or a wait that logs each change of reason logs one fault again
// and again.
func Is(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
