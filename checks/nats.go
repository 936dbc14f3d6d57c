package checks

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NATS is ready when a NATS server sends its INFO line and answers PING
// with PONG after CONNECT. Credentials: nats://USER:PASSWORD@host, or a
// token as nats://TOKEN@host (or --password without a user in the URL).
// TLS is used when the server's INFO requires it.
type NATS struct {
	session
	tls *tlsConfig // for the upgrade the server's INFO may ask for
}

func newNATS(target string, o Options) (*NATS, error) {
	ep, err := parseEndpoint(target, "4222", o.Auth)
	if err != nil {
		return nil, err
	}
	if ep.path != "" {
		return nil, usageErrorf(ep.target, "a NATS target has no path: want nats://[USER:PASSWORD@]HOST[:PORT]")
	}
	if u, _ := url.Parse(target); u.User != nil && !ep.pass.set { // the user is a token
		u.User = url.User("xxxxx")
		ep.target = u.String()
	}
	n := &NATS{session: session{ep: ep, proto: "nats"}}
	if n.tls, err = newTLSConfig(o.HTTP.TLS); err != nil {
		return nil, err
	}
	return n, nil
}

// natsInfo is the part of the server's INFO the check needs.
type natsInfo struct {
	AuthRequired bool `json:"auth_required"`
	TLSRequired  bool `json:"tls_required"`
}

// natsConnect is the CONNECT message: quiet (no +OK), with credentials.
type natsConnect struct {
	Verbose   bool   `json:"verbose"`
	Pedantic  bool   `json:"pedantic"`
	TLS       bool   `json:"tls_required"`
	Name      string `json:"name"`
	Lang      string `json:"lang"`
	Version   string `json:"version"`
	Protocol  int    `json:"protocol"`
	User      string `json:"user,omitempty"`
	Pass      string `json:"pass,omitempty"`
	AuthToken string `json:"auth_token,omitempty"`
}

// Check reads INFO, upgrades to TLS if the server requires it, and sends
// CONNECT and PING.
func (n *NATS) Check(ctx context.Context) error { return n.attempt(ctx, n.talk) }

func (n *NATS) talk(ctx context.Context, conn net.Conn, pass string) error {
	br := bufio.NewReaderSize(conn, 64<<10)
	line, err := natsLine(br, "waiting for INFO")
	if err != nil {
		return err
	}
	verb, args, _ := strings.Cut(line, " ")
	if verb == "-ERR" {
		return natsError(args)
	}
	var info natsInfo
	if verb != "INFO" || json.Unmarshal([]byte(args), &info) != nil {
		return fmt.Errorf("nats: unexpected greeting %q: is this a NATS server?", truncate(line, 40))
	}
	msg := natsConnect{Name: "initbox", Lang: "go", Protocol: 1, TLS: info.TLSRequired}
	switch {
	case n.ep.user != "" && n.ep.pass.set:
		msg.User, msg.Pass = n.ep.user, pass
	case n.ep.user != "":
		msg.AuthToken = n.ep.user
	case n.ep.pass.set:
		msg.AuthToken = pass
	}
	if info.TLSRequired {
		// The client goes TLS right after INFO; nothing more was sent.
		if conn, err = startTLS(ctx, conn, n.tls.clone(), n.ep.host, "nats"); err != nil {
			return err
		}
		defer conn.Close()
		br = bufio.NewReaderSize(conn, 64<<10)
	}
	return n.ping(conn, br, msg)
}

func (n *NATS) ping(conn net.Conn, br *bufio.Reader, msg natsConnect) error {
	js, _ := json.Marshal(msg)
	if _, err := fmt.Fprintf(conn, "CONNECT %s\r\nPING\r\n", js); err != nil {
		return ioError("nats", "sending CONNECT", err)
	}
	for range 10 {
		line, err := natsLine(br, "waiting for PONG")
		if err != nil {
			return err
		}
		verb, args, _ := strings.Cut(line, " ")
		switch verb {
		case "PONG":
			return nil
		case "-ERR":
			return natsError(args)
		case "PING":
			conn.Write([]byte("PONG\r\n"))
		}
	}
	return errors.New("nats: no PONG among the server's first answers")
}

func natsLine(br *bufio.Reader, step string) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("nats: overlong line %s: is this a NATS server?", step)
	}
	if err != nil {
		return "", ioError("nats", step, err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// natsError reports -ERR: an authorization violation is a refused login.
func natsError(args string) error {
	msg := strings.Trim(args, "' ")
	if strings.Contains(strings.ToLower(msg), "authorization") {
		return &AuthError{"nats", msg}
	}
	return errors.New("nats: " + msg)
}
