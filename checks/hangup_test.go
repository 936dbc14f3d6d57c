package checks

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// hangUpAfterReading reads what the client sends until it pauses, then
// closes: with a FIN (the client reads an end of stream) or, with linger 0,
// a reset.
func hangUpAfterReading(reset bool) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		if reset {
			c.(*net.TCPConn).SetLinger(0)
		}
		c.Close()
	}
}

// Every protocol check gives a server that hangs up one reason, whether the
// client sees an end of stream or a reset: which one it sees is a race in
// real life, and a wait logs each change of reason.
func TestProtocolHangUpsGiveOneReason(t *testing.T) {
	eof := testnet.Serve(t, hangUpAfterReading(false))
	reset := testnet.Serve(t, hangUpAfterReading(true))
	for _, scheme := range []string{"redis", "postgres", "mysql", "amqp", "nats", "mqtt"} {
		t.Run(scheme, func(t *testing.T) {
			var reasons [2]string
			for i, addr := range []string{eof, reset} {
				err := mustParse(t, scheme+"://"+addr, Options{}).Check(t.Context())
				if err == nil {
					t.Fatalf("%s: no error from a server that hung up", addr)
				}
				reasons[i] = err.Error()
			}
			if reasons[0] != reasons[1] {
				t.Errorf("end of stream: %q\nreset: %q\nwant one reason", reasons[0], reasons[1])
			}
			if !strings.Contains(reasons[1], "closed the connection") {
				t.Errorf("reason %q does not say the server hung up", reasons[1])
			}
		})
	}
}
