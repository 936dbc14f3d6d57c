package checks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// AMQP is ready when an AMQP 0-9-1 broker (RabbitMQ) answers the protocol
// header with Connection.Start and, with a user in the URL, when the user
// logs in (PLAIN) and Connection.Open on the virtual host succeeds.
type AMQP struct {
	session
	vhost string
}

// AMQP method ids: class 10 (connection) and the method.
const (
	amqpStart  = 10<<16 | 10
	amqpSecure = 10<<16 | 20
	amqpTune   = 10<<16 | 30
	amqpOpenOK = 10<<16 | 41
	amqpClose  = 10<<16 | 50
)

func newAMQP(target string, o Options, secure bool) (*AMQP, error) {
	ep, err := parseEndpoint(target, defaultPort(secure, "5672", "5671"), o.Auth)
	if err != nil {
		return nil, err
	}
	// As most clients do: no path, or "/", is the default vhost "/";
	// "/%2f" spells it out, "/app" is "app".
	s, err := newSession(ep, "amqp", secure, o.HTTP.TLS)
	if err != nil {
		return nil, err
	}
	a := &AMQP{session: s, vhost: ep.path}
	if a.vhost == "" {
		a.vhost = "/"
	}
	return a, nil
}

// Check sends the protocol header, and logs in when the URL names a user.
func (a *AMQP) Check(ctx context.Context) error { return a.attempt(ctx, a.talk) }

func (a *AMQP) talk(_ context.Context, conn net.Conn, pass string) error {
	c := &amqpConn{w: conn, r: bufio.NewReader(conn)}
	if _, err := conn.Write([]byte("AMQP\x00\x00\x09\x01")); err != nil {
		return ioError("amqp", "sending the protocol header", err)
	}
	id, args, err := c.read("waiting for Connection.Start")
	if err != nil {
		return err
	}
	if id != amqpStart {
		return c.unexpected(id, args, "Connection.Start")
	}
	if a.ep.user == "" {
		return nil
	}
	if !amqpOffersPlain(args) {
		return errors.New("amqp: the broker does not offer the PLAIN login mechanism")
	}
	if err := c.send(10, 11, amqpStartOK(a.ep.user, pass)); err != nil {
		return ioError("amqp", "sending Connection.Start-Ok", err)
	}
	return a.open(c)
}

// open answers Tune and opens the virtual host, then closes politely.
func (a *AMQP) open(c *amqpConn) error {
	for {
		id, args, err := c.read("waiting for the answer to the login")
		// After a refused login RabbitMQ hangs up, with a reset when our
		// Start-Ok is still unread there: a HangUpError either way.
		if hu := (*HangUpError)(nil); errors.As(err, &hu) {
			return &AuthError{"amqp", "the broker closed the connection after the login: wrong user or password?"}
		}
		if err != nil {
			return err
		}
		switch id {
		case amqpTune:
			if len(args) < 8 {
				return errors.New("amqp: malformed Connection.Tune")
			}
			tuneOK := append(bytes.Clone(args[:6]), 0, 0) // the broker's limits, no heartbeats
			open := append(amqpShortStr(nil, a.vhost), 0, 0)
			err = c.send(10, 31, tuneOK)
			if err == nil {
				err = c.send(10, 40, open)
			}
			if err != nil {
				return ioError("amqp", "sending Connection.Open", err)
			}
		case amqpOpenOK:
			c.send(10, 50, []byte{0, 200, 0, 0, 0, 0, 0}) // Close: reply-success
			c.read("")                                    // Close-Ok, so the broker logs a clean close
			return nil
		default:
			return c.unexpected(id, args, "Connection.Open-Ok")
		}
	}
}

// unexpected reports a method other than the one awaited: a
// Connection.Close with the broker's reason, or a protocol surprise.
func (c *amqpConn) unexpected(id uint32, args []byte, want string) error {
	switch id {
	case amqpClose:
		c.send(10, 51, nil)
		if len(args) < 3 {
			return errors.New("amqp: the broker closed the connection")
		}
		code := binary.BigEndian.Uint16(args)
		text, _ := amqpReadShortStr(args[2:])
		msg := fmt.Sprintf("%s (%d)", text, code)
		if code == 403 { // ACCESS_REFUSED
			return &AuthError{"amqp", msg}
		}
		if code == 320 { // CONNECTION_FORCED: the broker is shutting down
			return definite(errors.New("amqp: " + msg))
		}
		return errors.New("amqp: " + msg)
	case amqpSecure:
		return errors.New("amqp: the broker wants a SASL challenge (Connection.Secure), which initbox does not speak")
	}
	return fmt.Errorf("amqp: got method %d.%d, want %s", id>>16, id&0xffff, want)
}

// amqpStartOK is Connection.Start-Ok: client properties saying that a
// refused login should be answered with Connection.Close and a reason
// (not a silent hang-up), PLAIN, the credentials, a locale.
func amqpStartOK(user, pass string) []byte {
	var caps []byte
	caps = amqpShortStr(caps, "authentication_failure_close")
	caps = append(caps, 't', 1)
	var props []byte
	props = amqpShortStr(props, "product")
	props = append(props, 'S')
	props = binary.BigEndian.AppendUint32(props, uint32(len("initbox")))
	props = append(props, "initbox"...)
	props = amqpShortStr(props, "capabilities")
	props = append(props, 'F')
	props = binary.BigEndian.AppendUint32(props, uint32(len(caps)))
	props = append(props, caps...)

	b := binary.BigEndian.AppendUint32(nil, uint32(len(props)))
	b = append(b, props...)
	b = amqpShortStr(b, "PLAIN")
	resp := "\x00" + user + "\x00" + pass
	b = binary.BigEndian.AppendUint32(b, uint32(len(resp)))
	b = append(b, resp...)
	return amqpShortStr(b, "en_US")
}

// amqpOffersPlain looks for PLAIN among Connection.Start's mechanisms.
func amqpOffersPlain(args []byte) bool {
	if len(args) < 6 {
		return false
	}
	n := int(binary.BigEndian.Uint32(args[2:])) // server properties
	rest := args[6:]
	if len(rest) < n+4 {
		return false
	}
	rest = rest[n:]
	m := int(binary.BigEndian.Uint32(rest))
	if len(rest) < 4+m {
		return false
	}
	for _, mech := range strings.Fields(string(rest[4 : 4+m])) {
		if mech == "PLAIN" {
			return true
		}
	}
	return false
}

func amqpShortStr(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }

func amqpReadShortStr(b []byte) (string, bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", false
	}
	return string(b[1 : 1+b[0]]), true
}

// amqpConn reads and writes frames on channel 0.
type amqpConn struct {
	w io.Writer
	r *bufio.Reader
}

func (c *amqpConn) send(class, method uint16, args []byte) error {
	b := []byte{1, 0, 0, 0, 0, 0, 0} // method frame, channel 0, size
	binary.BigEndian.PutUint32(b[3:], uint32(4+len(args)))
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint16(b, method)
	b = append(append(b, args...), 0xce)
	_, err := c.w.Write(b)
	return err
}

// read returns the next method frame's id and arguments, skipping
// heartbeats.
func (c *amqpConn) read(step string) (uint32, []byte, error) {
	for {
		var hdr [7]byte
		if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
			return 0, nil, ioError("amqp", step, err)
		}
		if string(hdr[:4]) == "AMQP" {
			return 0, nil, errors.New("amqp: the broker does not speak AMQP 0-9-1")
		}
		n := binary.BigEndian.Uint32(hdr[3:])
		if n > 1<<20 {
			return 0, nil, fmt.Errorf("amqp: frame of %d bytes: is this an AMQP broker?", n)
		}
		body := make([]byte, n+1)
		if _, err := io.ReadFull(c.r, body); err != nil {
			return 0, nil, ioError("amqp", step, err)
		}
		if body[n] != 0xce {
			return 0, nil, errors.New("amqp: malformed frame: is this an AMQP broker?")
		}
		switch {
		case hdr[0] == 8: // heartbeat
			continue
		case hdr[0] != 1 || n < 4:
			return 0, nil, fmt.Errorf("amqp: unexpected frame type %d %s", hdr[0], step)
		}
		return binary.BigEndian.Uint32(body), body[4:n], nil
	}
}
