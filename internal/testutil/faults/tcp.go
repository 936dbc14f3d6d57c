package faults

import (
	"net"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// FullBacklog returns the address of a listener that never accepts and
// whose queue is full: new connections hang in SYN-SENT, as with a host
// that drops packets.
func FullBacklog(t testing.TB) string {
	t.Helper()
	late := testnet.NewLate(t)
	late.Listen(t, 0)
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	for range 8 {
		c, err := net.DialTimeout("tcp", late.Addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	return late.Addr
}

// AcceptClose returns the address of a listener that accepts each
// connection and closes it at once.
func AcceptClose(t testing.TB) string {
	t.Helper()
	ln := testnet.Listen(t)
	go testnet.AcceptAndClose(ln)
	return ln.Addr().String()
}
