//go:build linux && !386

// (On 386 the socket calls go through socketcall: the portable dialer is used there.)

package checks

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// dialTCP opens a TCP connection to addr and closes it again. It makes the
// socket calls directly: against a refused port an attempt is then three
// system calls and no goroutine, timer or poller registration, which is
// what keeps ten attempts a second cheap. Only a connect that is still in
// progress (a remote host) waits in the network poller.
func dialTCP(ctx context.Context, addr string) error {
	conn, err := dialConn(ctx, "tcp", addr, false)
	if conn != nil {
		conn.Close()
	}
	return err
}

// dialConn is a DialContext for net/http: connections to IP addresses are
// made as dialTCP makes them, so a refused attempt stays cheap; names go
// through Go's resolver and dialer. With keep false the connection is
// closed as soon as it is made and a nil conn is returned.
func dialConn(ctx context.Context, network, addr string, keep bool) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if network != "tcp" || err != nil || ip.Zone() != "" {
		return dialer.DialContext(ctx, network, addr)
	}
	p, _ := net.LookupPort("tcp", port)
	return dialIP(ctx, netip.AddrPortFrom(ip.Unmap(), uint16(p)), time.Time{}, keep, nil)
}

// dialIP connects to ap as dialConn does, within ctx and, unless it is
// zero, by deadline, with the socket kept in spare (if not nil) by a
// refused attempt before.
func dialIP(ctx context.Context, ap netip.AddrPort, deadline time.Time, keep bool, spare *spareSocket) (net.Conn, error) {
	conn, err := connect(ctx, ap, deadline, keep, spare)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	return conn, nil
}

func dialWithNet(ctx context.Context, network, addr string) error {
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func connect(ctx context.Context, ap netip.AddrPort, deadline time.Time, keep bool, spare *spareSocket) (net.Conn, error) {
	family, sa, salen := sockaddr(ap)
	fd, spared := spare.take()
	if !spared {
		var errno syscall.Errno
		fd, _, errno = syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(family), syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if errno != 0 {
			return nil, os.NewSyscallError("socket", errno)
		}
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_CONNECT, fd, uintptr(sa), salen)
	if spared && errno != 0 && errno != syscall.EINPROGRESS {
		// The kept socket cannot connect again: start afresh.
		syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
		return connect(ctx, ap, deadline, keep, nil)
	}
	var err error
	refused := false // the connect failed, and the socket may connect again
	switch errno {
	case 0:
	case syscall.EINPROGRESS:
		if cerr, done := connectResult(fd); done {
			err, refused = cerr, cerr != nil
		} else {
			return awaitConnect(ctx, os.NewFile(fd, "tcp"), deadline, keep)
		}
	default:
		err = os.NewSyscallError("connect", errno)
	}
	if refused && spare.put(fd) {
		return nil, err
	}
	if err != nil || !keep {
		syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
		return nil, err
	}
	return fileConn(os.NewFile(fd, "tcp"))
}

// spareSocket keeps the socket of a refused attempt for the next attempt
// to the same address. A connect that failed leaves its socket closed and
// unbound; after connect(AF_UNSPEC) the socket may connect again, from a
// new port, so a refused attempt costs no socket and close: a sixth of its
// CPU on loopback. Only a connect that failed without the poller's help is
// kept, and at most one socket: it is never connected, and holds a
// descriptor but no port.
type spareSocket struct {
	fd atomic.Int64 // the descriptor plus one; 0: none
}

// take returns the kept socket, if any.
func (s *spareSocket) take() (uintptr, bool) {
	if s == nil {
		return 0, false
	}
	fd := s.fd.Swap(0)
	return uintptr(fd - 1), fd != 0
}

// put keeps fd, whose connect failed, for the next attempt, and reports
// whether it did; if not, the caller closes fd.
func (s *spareSocket) put(fd uintptr) bool {
	if s == nil {
		return false
	}
	unspec := syscall.RawSockaddr{Family: syscall.AF_UNSPEC}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&unspec)), unsafe.Sizeof(unspec)); errno != 0 {
		return false
	}
	return s.fd.CompareAndSwap(0, int64(fd)+1)
}

// close closes the kept socket, if any.
func (s *spareSocket) close() {
	if fd, ok := s.take(); ok {
		syscall.Close(int(fd))
	}
}

// fileConn turns a connected socket into a net.Conn, closing f.
func fileConn(f *os.File) (net.Conn, error) {
	defer f.Close()
	return net.FileConn(f)
}

// connectResult looks, without waiting, whether a non-blocking connect has
// finished. On loopback and the local network it usually has by the time
// connect returns, and then the poller is never involved.
func connectResult(fd uintptr) (err error, done bool) {
	pfd := struct {
		fd             int32
		events, revent int16
	}{fd: int32(fd), events: 0x4 /* POLLOUT */}
	var zero syscall.Timespec // ppoll, not poll: poll is missing on arm64 and riscv64
	n, _, errno := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
	if errno != 0 || n == 0 {
		return nil, false
	}
	soErr, gerr := socketError(fd)
	switch {
	case gerr != nil:
		return os.NewSyscallError("getsockopt", gerr), true
	case soErr != 0:
		return os.NewSyscallError("connect", syscall.Errno(soErr)), true
	}
	return nil, true
}

// socketError reads SO_ERROR with a raw system call: one that cannot block
// need not tell the scheduler, and telling it wakes its monitor thread.
func socketError(fd uintptr) (int, error) {
	var v int32
	size := uint32(4)
	_, _, errno := syscall.RawSyscall6(syscall.SYS_GETSOCKOPT, fd, syscall.SOL_SOCKET, syscall.SO_ERROR,
		uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(v), nil
}

// awaitConnect waits in the network poller until the connect finishes,
// ctx ends or deadline (if not zero) passes. It closes f, and returns the
// connection only if keep.
func awaitConnect(ctx context.Context, f *os.File, deadline time.Time, keep bool) (net.Conn, error) {
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if !deadline.IsZero() {
		f.SetWriteDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	err := waitWritable(f)
	stop()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil || !keep {
		f.Close()
		return nil, err
	}
	f.SetWriteDeadline(time.Time{})
	return fileConn(f)
}

// waitWritable waits for a connecting socket to become writable and returns
// the connect's outcome.
func waitWritable(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var soErr int
	waited := false
	werr := rc.Write(func(fd uintptr) bool {
		if !waited { // the first call comes before any wait
			waited = true
			return false
		}
		soErr, err = socketError(fd)
		if err != nil || soErr != 0 {
			return true
		}
		// No error yet: connected, or a spurious wake-up while the
		// handshake is still under way.
		_, perr := syscall.Getpeername(int(fd))
		return perr != syscall.ENOTCONN
	})
	switch {
	case werr != nil:
		return werr
	case err != nil:
		return os.NewSyscallError("getsockopt", err)
	case soErr != 0:
		return os.NewSyscallError("connect", syscall.Errno(soErr))
	}
	return nil
}

// sockaddr builds the kernel's socket address for ap. The returned pointer
// refers to a heap value that stays alive until the caller's syscall ends.
func sockaddr(ap netip.AddrPort) (family int, ptr unsafe.Pointer, size uintptr) {
	port := ap.Port()
	if ap.Addr().Is4() {
		sa := &syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: ap.Addr().As4()}
		pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
		pb[0], pb[1] = byte(port>>8), byte(port)
		return syscall.AF_INET, unsafe.Pointer(sa), unsafe.Sizeof(*sa)
	}
	sa := &syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: ap.Addr().As16()}
	pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
	pb[0], pb[1] = byte(port>>8), byte(port)
	return syscall.AF_INET6, unsafe.Pointer(sa), unsafe.Sizeof(*sa)
}
