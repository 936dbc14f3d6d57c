package checks

import (
	"context"
	"net"
	"strconv"

	"github.com/initbox/initbox/internal/redact"
)

// TCP is ready when a TCP connection to Addr can be opened. The connection is
// closed again at once.
type TCP struct {
	Addr   string // host:port
	target string
}

func newTCP(target, hostport string) (*TCP, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, usageErrorf(target, "want HOST:PORT (IPv6 as [::1]:80): %v", trimAddrErr(err))
	}
	if host == "" {
		return nil, usageErrorf(target, "missing host")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, usageErrorf(target, "bad port %q: want a number from 1 to 65535", port)
	}
	return &TCP{Addr: hostport, target: redact.URL(target)}, nil
}

// Check opens and closes one connection.
func (t *TCP) Check(ctx context.Context) error {
	return dialTCP(ctx, t.Addr)
}

func (t *TCP) String() string { return t.target }

// dialer never reuses anything between attempts; KeepAlive is off because the
// connection lives for microseconds.
var dialer = &net.Dialer{KeepAlive: -1}

// trimAddrErr drops the "address x:" prefix net adds, since the caller
// already names the target.
func trimAddrErr(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}
