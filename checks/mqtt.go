package checks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// MQTT is ready when an MQTT broker answers CONNECT (MQTT 3.1.1, clean
// session, a random client id) with CONNACK return code 0. The user and
// password come from the URL (the password also from --password or
// --password-file). mqtts:// speaks TLS.
type MQTT struct{ session }

// mqttReturnCodes are CONNACK's refusals in MQTT 3.1.1.
var mqttReturnCodes = []string{
	1: "unacceptable protocol version",
	2: "client identifier rejected",
	3: "server unavailable",
	4: "bad user name or password",
	5: "not authorized",
}

func newMQTT(target string, o Options, secure bool) (*MQTT, error) {
	ep, err := parseEndpoint(target, defaultPort(secure, "1883", "8883"), o.Auth)
	if err != nil {
		return nil, err
	}
	if ep.path != "" {
		return nil, usageErrorf(ep.target, "an MQTT target has no path: want mqtt://[USER:PASSWORD@]HOST[:PORT]")
	}
	s, err := newSession(ep, "mqtt", secure, o.HTTP.TLS)
	if err != nil {
		return nil, err
	}
	return &MQTT{s}, nil
}

// Check connects, reads CONNACK and disconnects.
func (m *MQTT) Check(ctx context.Context) error { return m.attempt(ctx, m.talk) }

func (m *MQTT) talk(_ context.Context, conn net.Conn, pass string) error {
	// A password needs a user name in MQTT 3.1.1: without one in the URL,
	// a --password meant for other targets is left out.
	if _, err := conn.Write(mqttConnect(clientID(), m.ep.user, pass, m.ep.user != "" && m.ep.pass.set)); err != nil {
		return ioError("mqtt", "sending CONNECT", err)
	}
	var ack [4]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return ioError("mqtt", "waiting for CONNACK", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		return fmt.Errorf("mqtt: unexpected answer % x to CONNECT: is this an MQTT broker?", ack)
	}
	switch rc := ack[3]; {
	case rc == 0:
		conn.Write([]byte{0xe0, 0}) // DISCONNECT, so the broker logs a clean exit
		return nil
	case rc == 4 || rc == 5:
		return &AuthError{"mqtt", fmt.Sprintf("%s (CONNACK %d)", mqttReturnCodes[rc], rc)}
	case rc == 3: // server unavailable, in the broker's own words
		return definite(fmt.Errorf("mqtt: %s (CONNACK %d)", mqttReturnCodes[rc], rc))
	case int(rc) < len(mqttReturnCodes):
		return fmt.Errorf("mqtt: %s (CONNACK %d)", mqttReturnCodes[rc], rc)
	default:
		return errors.New("mqtt: CONNACK with an unknown return code")
	}
}

// mqttConnect builds CONNECT: protocol "MQTT" level 4, clean session,
// keep-alive 30 s, then the client id and the credentials.
func mqttConnect(id, user, pass string, withPass bool) []byte {
	flags := byte(0x02)
	body := mqttString(nil, "MQTT")
	payload := mqttString(nil, id)
	if user != "" {
		flags |= 0x80
		payload = mqttString(payload, user)
		if withPass {
			flags |= 0x40
			payload = mqttString(payload, pass)
		}
	}
	body = append(body, 4, flags, 0, 30)
	body = append(body, payload...)
	b := []byte{0x10}
	for n := len(body); ; { // remaining length, 7 bits a byte
		d := byte(n % 128)
		if n /= 128; n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			break
		}
	}
	return append(b, body...)
}

func mqttString(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(s))), s...)
}
