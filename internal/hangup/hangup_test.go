package hangup

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

func TestIs(t *testing.T) {
	readErr := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{&url.Error{Op: "Get", URL: "http://h/", Err: io.EOF}, true},
		{readErr(syscall.ECONNRESET), true},
		{readErr(syscall.EPIPE), true},
		// net/http's errServerClosedIdle, bare as the transport returns it
		// and inside the url.Error of a client.
		{errors.New("http: server closed idle connection"), true},
		{&url.Error{Op: "Get", URL: "http://h/", Err: errors.New("http: server closed idle connection")}, true},
		{readErr(syscall.ECONNREFUSED), false},
		{fmt.Errorf("status 503"), false},
		{io.ErrUnexpectedEOF, false}, // a message cut off: its own reason
		{nil, false},
	} {
		if got := Is(tc.err); got != tc.want {
			t.Errorf("Is(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
