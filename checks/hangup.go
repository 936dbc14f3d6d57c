package checks

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/initbox/initbox/internal/hangup"
)

// HangUpError is a server that closed the connection of a protocol check.
type HangUpError struct {
	Proto string
	Step  string // when: "waiting for the answer to PING", "without answering"
	Err   error  // an end of stream or a reset: which one is a race (see hangup.Is)
}

func (e *HangUpError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.Proto, hangup.Reason, e.Step)
}

func (e *HangUpError) Unwrap() error { return e.Err }

// ioError says which step of a protocol exchange failed, telling a server
// that hung up from a network error.
func ioError(proto, step string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || hangup.Is(err) {
		return &HangUpError{proto, step, err}
	}
	return fmt.Errorf("%s: %s: %w", proto, step, err)
}

// unanswered gives a server that hung up before it sent a byte one reason,
// whatever step the client was at: a reset can come as early as the TCP
// handshake (the dial fails) or as late as the read of the first answer,
// as the race with the client goes, and a wait logs each change of reason.
func unanswered(err error, conn net.Conn) error {
	var h *HangUpError
	if errors.As(err, &h) && !heard(conn) {
		return &HangUpError{h.Proto, "without answering", h.Err}
	}
	return err
}

// heard reports whether the server has sent anything on conn.
func heard(conn net.Conn) bool {
	switch c := conn.(type) {
	case *sessionConn:
		return c.heard
	case rawCloser:
		return c.raw.heard
	}
	return false
}
