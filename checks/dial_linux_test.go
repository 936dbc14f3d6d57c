//go:build linux && !386

package checks

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// A refused attempt keeps its socket, and the next attempt connects with
// that same socket instead of opening another.
func TestRefusedAttemptKeepsItsSocketForTheNext(t *testing.T) {
	late := testnet.NewLate(t)
	ap := netip.MustParseAddrPort(late.Addr)
	var spare spareSocket
	t.Cleanup(spare.close)
	if _, err := connect(t.Context(), ap, time.Time{}, false, &spare); err == nil {
		t.Fatal("connected to a port that is not listening")
	}
	kept, ok := spare.take()
	if !ok {
		t.Fatal("the refused attempt kept no socket")
	}
	spare.fd.Store(int64(kept) + 1) // put back: take only looked
	late.Listen(t, 1)
	before := openDescriptors(t)
	if _, err := connect(t.Context(), ap, time.Time{}, false, &spare); err != nil {
		t.Fatalf("connect after listen: %v", err)
	}
	if _, ok := spare.take(); ok {
		t.Error("a socket is still kept after the attempt that used it connected")
	}
	if after := openDescriptors(t); after != before-1 {
		t.Errorf("%d descriptors before the attempt, %d after: want the kept one used and closed", before, after)
	}
}

// A kept socket that cannot connect again is closed, and the attempt
// goes on with a new socket: the spare never turns a ready port into a
// failed attempt, nor leaks.
func TestKeptSocketThatCannotConnectIsReplaced(t *testing.T) {
	late := testnet.NewLate(t)
	late.Listen(t, 1)
	ap := netip.MustParseAddrPort(late.Addr)
	// An IPv6 socket cannot connect to an IPv4 address.
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skip("no IPv6 sockets here:", err)
	}
	var spare spareSocket
	t.Cleanup(spare.close)
	if !spare.put(uintptr(fd)) {
		syscall.Close(fd)
		t.Fatal("put refused a fresh socket")
	}
	before := openDescriptors(t)
	if _, err := connect(t.Context(), ap, time.Time{}, false, &spare); err != nil {
		t.Fatalf("connect with an unusable kept socket: %v", err)
	}
	if after := openDescriptors(t); after != before-1 {
		t.Errorf("%d descriptors before the attempt, %d after: want the unusable kept socket closed", before, after)
	}
}
