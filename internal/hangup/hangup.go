// Package hangup recognises a server that closed the connection on its
// client, whichever way the client sees it.
package hangup

import (
	"errors"
	"io"
	"syscall"
)

// Reason is the one way a hang-up reads in a log line or an error.
const Reason = "the server closed the connection"

// closedIdle is net/http's errServerClosedIdle, which has no exported name.
// On a fresh connection the transport returns it when its reader saw the
// end of stream before the request was counted as sent.
const closedIdle = "http: server closed idle connection"

// Is reports an error that means the server closed the connection: an end
// of stream, or a reset (or EPIPE) when bytes of ours were still unread
// there, for its kernel then sends a reset instead, or net/http's "server
// closed idle connection". Which of these a client sees is a race with its
// own write, so callers give them one reason, or a wait that logs each
// change of reason logs one fault again and again.
func Is(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == closedIdle {
			return true
		}
	}
	return false
}
