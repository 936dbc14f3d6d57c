// Package testnet provides loopback endpoints for tests: ports that are
// known before they listen, so tests never guess a free port.
package testnet

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// Late is a TCP socket bound to a loopback port chosen by the kernel but not
// listening yet: connections to Addr are refused until Listen.
type Late struct {
	fd   int
	Addr string
}

// NewLate reserves a loopback port. It is released when the test ends.
func NewLate(t testing.TB) *Late {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	t.Cleanup(func() { syscall.Close(fd) })
	return &Late{fd: fd, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
}

// Listen starts listening with the given backlog and returns the listener,
// closed when the test ends. A backlog of 0 with a few unaccepted
// connections gives a listener whose queue is full.
func (l *Late) Listen(t testing.TB, backlog int) net.Listener {
	t.Helper()
	if err := syscall.Listen(l.fd, backlog); err != nil {
		t.Fatal(err)
	}
	dup, err := syscall.Dup(l.fd)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(dup), "late")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Listen listens on a loopback port chosen by the kernel, until the test
// ends (or the test closes it).
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Serve runs serve on its own goroutine for every connection to a loopback
// port, until the test ends, and returns the port's address.
func Serve(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln := Listen(t)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}()
	return ln.Addr().String()
}

// AcceptAndClose accepts connections on ln and closes them at once, until
// ln is closed.
func AcceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// ListenBoth opens a UDP and a TCP socket on one free port of host, as a DNS
// server needs. The kernel picks the UDP port; the same TCP port may be taken
// (or in TIME_WAIT) under a busy test run, so it tries again on another.
func ListenBoth(t testing.TB, host string) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no port free for both UDP and TCP on " + host)
	return nil, nil
}
