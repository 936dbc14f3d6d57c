package checks

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/redact"
)

// TCP is ready when a TCP connection to Addr can be opened. The connection is
// closed again at once.
type TCP struct {
	Addr   string // host:port
	target string
	ip     netip.AddrPort // Addr, when its host is an IP address
	last   atomic.Pointer[net.OpError]
	spare  spareSocket // the socket of a refused attempt, for the next
}

func newTCP(target, hostport string) (*TCP, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, usageErrorf(target, "want HOST:PORT (IPv6 as [::1]:80): %v", trimAddrErr(err))
	}
	if host == "" {
		return nil, usageErrorf(target, "missing host")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return nil, usageErrorf(target, "bad port %q: want a number from 1 to 65535", port)
	}
	t := &TCP{Addr: hostport, target: redact.URL(target)}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Zone() == "" {
		t.ip = netip.AddrPortFrom(ip.Unmap(), uint16(n))
	}
	return t, nil
}

// Check opens and closes one connection.
func (t *TCP) Check(ctx context.Context) error {
	return t.checkBy(ctx, time.Time{})
}

// checkBy is Check by deadline as well as within ctx (a zero deadline: ctx
// alone). An IP address, parsed once, is dialled without a context of the
// attempt's own, which a connect refused or made at once never needs.
func (t *TCP) checkBy(ctx context.Context, deadline time.Time) error {
	if t.ip.IsValid() {
		_, err := dialIP(ctx, t.ip, deadline, false, &t.spare)
		return t.again(err)
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return dialTCP(ctx, t.Addr)
}

func (t *TCP) String() string { return t.target }

// again returns the error of an earlier attempt instead of err when the
// same system call failed with the same errno: a target refusing attempt
// after attempt then returns one error value, which the wait loop knows
// again without reading it.
func (t *TCP) again(err error) error {
	op, ok := err.(*net.OpError)
	if !ok {
		return err
	}
	if last := t.last.Load(); last != nil && sameErrno(last.Err, op.Err) {
		return last
	}
	t.last.Store(op)
	return err
}

func sameErrno(a, b error) bool {
	sa, ok := a.(*os.SyscallError)
	sb, ok2 := b.(*os.SyscallError)
	if !ok || !ok2 || sa.Syscall != sb.Syscall {
		return false
	}
	ea, ok := sa.Err.(syscall.Errno)
	eb, ok2 := sb.Err.(syscall.Errno)
	return ok && ok2 && ea == eb
}

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
