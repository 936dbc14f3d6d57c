package checks

import (
	"net"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// hangUp closes each connection with a FIN (the client reads an end of
// stream) or, with linger 0, a reset. For a protocol whose client speaks
// first, it reads the client's first message before, so that the client
// always fails at the same step: waiting for the answer.
func hangUp(reset, clientFirst bool) func(net.Conn) {
	return func(c net.Conn) {
		if clientFirst {
			buf := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			for n, _ := c.Read(buf); n > 0; n, _ = c.Read(buf) {
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) // the rest of it, if any
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
	for _, p := range []struct {
		scheme, proto string
		clientFirst   bool
	}{
		{"redis", "redis", true}, {"postgres", "postgres", true}, {"amqp", "amqp", true}, {"mqtt", "mqtt", true},
		{"mysql", "mysql", false}, {"nats", "nats", false},
		// The TLS handshake is the first step.
		{"rediss", "redis", true}, {"amqps", "amqp", true}, {"mqtts", "mqtt", true},
	} {
		eof := testnet.Serve(t, hangUp(false, p.clientFirst))
		reset := testnet.Serve(t, hangUp(true, p.clientFirst))
		t.Run(p.scheme, func(t *testing.T) {
			var reasons [2]string
			for i, addr := range []string{eof, reset} {
				err := mustParse(t, p.scheme+"://"+addr, Options{}).Check(t.Context())
				if err == nil {
					t.Fatalf("%s: no error from a server that hung up", addr)
				}
				reasons[i] = err.Error()
			}
			want := p.proto + ": the server closed the connection without answering"
			if reasons[0] != want || reasons[1] != want {
				t.Errorf("end of stream: %q\nreset: %q\nwant both %q", reasons[0], reasons[1], want)
			}
		})
	}
}
