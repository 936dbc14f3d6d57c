package checks

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

func TestTCPOpensLate(t *testing.T) {
	late := testnet.NewLate(t)
	c, err := Parse("tcp://"+late.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(t.Context()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("before listen: got %v, want connection refused", err)
	}
	ln := late.Listen(t, 128)
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("after listen: got %v, want ready", err)
	}
	// The check must close what it opened: the accepted connection reads EOF.
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read from the check's connection: n=%d err=%v, want EOF", n, err)
	}
}

func TestTCPBareHostPortAndIPv6(t *testing.T) {
	c, err := Parse(faults.AcceptClose(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("bare HOST:PORT: %v", err)
	}

	ln6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer ln6.Close()
	go testnet.AcceptAndClose(ln6)
	c6, err := Parse("tcp://"+ln6.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c6.Check(t.Context()); err != nil {
		t.Fatalf("IPv6 literal: %v", err)
	}
}

func TestTCPFullBacklogTimesOut(t *testing.T) {
	// A listener that never accepts, with its queue full: further SYNs are
	// dropped, so a connect hangs until the attempt's own timeout.
	c, err := Parse("tcp://"+faults.FullBacklog(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err = c.Check(ctx)
	if err == nil {
		t.Fatal("got ready from a listener whose queue is full")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
}

// A port refusing attempt after attempt gives one error value, which the
// wait loop recognises without reading it again.
func TestTCPRefusedAgainIsTheSameError(t *testing.T) {
	late := testnet.NewLate(t)
	c, err := Parse("tcp://"+late.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, second := c.Check(t.Context()), c.Check(t.Context())
	if !errors.Is(second, syscall.ECONNREFUSED) || !identical(first, second) {
		t.Errorf("got %v and then %v, want one connection refused error", first, second)
	}
}

func TestIdenticalDoesNotCompareUncomparableErrors(t *testing.T) {
	a := uncomparableError{[]string{"x"}}
	if identical(a, a) {
		t.Error("an uncomparable error value is identical to itself")
	}
}

type uncomparableError struct{ msgs []string }

func (e uncomparableError) Error() string { return e.msgs[0] }
