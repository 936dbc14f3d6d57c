package checks

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Postgres is ready when a PostgreSQL server takes a connection. Without a
// user in the URL, an answer to the startup message that asks for a
// password or refuses the login is enough (pg_isready's rule: the server
// runs and accepts connections); "starting up" or "shutting down" (57P03),
// "too many clients" (53300) and the like are not. With a user, it must
// authenticate (trust, password, md5 or SCRAM-SHA-256) and answer SELECT 1.
type Postgres struct {
	session
	db      string
	sslmode string
	tls     *tlsConfig
}

// pgDefaultUser is the role named in the startup message when the URL names
// none; it only has to reach the authentication step.
const pgDefaultUser = "postgres"

func newPostgres(target string, o Options) (*Postgres, error) {
	ep, err := parseEndpoint(target, "5432", o.Auth, "sslmode")
	if err != nil {
		return nil, err
	}
	p := &Postgres{session: session{ep: ep, proto: "postgres"}, db: ep.path, sslmode: ep.query.Get("sslmode")}
	switch p.sslmode {
	case "":
		p.sslmode = "prefer"
	case "disable", "prefer", "require", "verify-ca", "verify-full":
	default:
		return nil, usageErrorf(ep.target, "sslmode=%s: want disable, prefer, require, verify-ca or verify-full", p.sslmode)
	}
	if p.sslmode != "disable" {
		if p.tls, err = newTLSConfig(o.HTTP.TLS); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Check makes one connection: TLS if sslmode asks, the startup message,
// authentication and, after a login, SELECT 1.
func (p *Postgres) Check(ctx context.Context) error { return p.attempt(ctx, p.talk) }

func (p *Postgres) talk(ctx context.Context, conn net.Conn, pass string) error {
	if p.sslmode != "disable" {
		var err error
		if conn, err = p.negotiateTLS(ctx, conn); err != nil {
			return err
		}
	}
	c := &pgConn{w: conn, r: bufio.NewReader(conn)}
	user := p.ep.user
	if user == "" {
		user = pgDefaultUser
	}
	db := p.db
	if db == "" {
		db = user
	}
	if err := c.send(0, "user", user, "database", db, "application_name", "initbox", ""); err != nil {
		return ioError("postgres", "sending the startup message", err)
	}
	loggedIn, err := p.login(c, user, pass)
	if err != nil || !loggedIn {
		return err
	}
	if err := c.send('Q', "SELECT 1"); err != nil {
		return ioError("postgres", "sending SELECT 1", err)
	}
	if _, err := c.untilReady("SELECT 1", pgError.err); err != nil {
		return err
	}
	c.send('X') // Terminate, so the server logs a clean disconnect
	return nil
}

// negotiateTLS sends SSLRequest and, if the server agrees, runs the TLS
// handshake. The one-byte answer is read straight from the connection: any
// bytes buffered before the handshake could be injected by an attacker.
func (p *Postgres) negotiateTLS(ctx context.Context, conn net.Conn) (net.Conn, error) {
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:], 8)
	binary.BigEndian.PutUint32(req[4:], 80877103)
	if _, err := conn.Write(req[:]); err != nil {
		return nil, ioError("postgres", "sending SSLRequest", err)
	}
	var answer [1]byte
	if _, err := io.ReadFull(conn, answer[:]); err != nil {
		return nil, ioError("postgres", "waiting for the answer to SSLRequest", err)
	}
	switch answer[0] {
	case 'N':
		if p.sslmode == "prefer" {
			return conn, nil
		}
		return nil, fmt.Errorf("postgres: the server does not offer TLS (sslmode=%s)", p.sslmode)
	case 'S':
	default:
		return nil, fmt.Errorf("postgres: unexpected answer %q to SSLRequest: is this a PostgreSQL server?", answer[0])
	}
	cfg := p.tls.clone()
	switch p.sslmode {
	case "prefer", "require": // libpq's meaning: encrypted, not verified
		cfg.InsecureSkipVerify = true
	case "verify-ca":
		verifyChainOnly(cfg)
	}
	return startTLS(ctx, conn, cfg, p.ep.host, "postgres")
}

// verifyChainOnly checks that the certificate chains to a trusted CA but not
// the name in it, as libpq's sslmode=verify-ca does.
func verifyChainOnly(cfg *tls.Config) {
	roots := cfg.RootCAs
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyChain(cs, roots)
	}
}

// login answers the server's authentication requests. It reports whether a
// session was opened; without a user in the URL, an authentication request
// alone means ready.
func (p *Postgres) login(c *pgConn, user, pass string) (bool, error) {
	var sc *scram
	for {
		typ, body, err := c.read("waiting for the answer to the startup message")
		if err != nil {
			return false, err
		}
		switch typ {
		case 'E':
			return false, p.refused(parsePGError(body))
		case 'R':
		case 'N', 'v': // a notice, or the protocol minor version the server speaks
			continue
		default:
			return false, fmt.Errorf("postgres: unexpected message %q during authentication: is this a PostgreSQL server?", typ)
		}
		if len(body) < 4 {
			return false, errors.New("postgres: malformed authentication request")
		}
		code, data := binary.BigEndian.Uint32(body), body[4:]
		switch {
		case code == 0: // AuthenticationOk
			return c.untilReady("login", p.refused)
		case code == 3 || code == 5 || code == 10:
			if p.ep.user == "" {
				return false, nil // the server answered with authentication: ready
			}
			if !p.ep.pass.set {
				return false, &AuthError{"postgres", fmt.Sprintf("the server wants a password for user %q: give it in the URL, %s", user, passwordOptions)}
			}
		}
		switch code {
		case 3: // cleartext, as the server asked
			err = c.send('p', pass)
		case 5:
			if len(data) < 4 {
				return false, errors.New("postgres: malformed md5 request")
			}
			err = c.send('p', pgMD5(user, pass, data[:4]))
		case 10:
			if sc, err = newSCRAM(data, pass); err == nil {
				err = c.sendSASLInitial(sc.clientFirst())
			}
		case 11:
			var final string
			if sc == nil {
				return false, errors.New("postgres: SASL continue without a start")
			}
			if final, err = sc.clientFinal(data); err == nil {
				err = c.sendRaw('p', []byte(final))
			}
		case 12:
			if sc == nil {
				return false, errors.New("postgres: SASL final without a start")
			}
			err = sc.verifyServer(data)
		default:
			return false, fmt.Errorf("postgres: the server wants authentication method %d, which initbox does not speak (it speaks trust, password, md5 and SCRAM-SHA-256)", code)
		}
		if err != nil {
			return false, fmt.Errorf("postgres: %w", err)
		}
	}
}

// refused turns an error during startup into the verdict. Without a user in
// the URL, a refused login (class 28) still proves the server is up.
func (p *Postgres) refused(e pgError) error {
	if strings.HasPrefix(e.code, "28") {
		if p.ep.user == "" {
			return nil
		}
		return &AuthError{"postgres", e.String()}
	}
	if e.code == "57P01" || e.code == "57P02" || e.code == "57P03" {
		// Shutting down, crashed, starting up or in recovery: the
		// server says itself that it is not serving.
		return definite(e.err())
	}
	return e.err()
}

func pgMD5(user, pass string, salt []byte) string {
	inner := md5.Sum([]byte(pass + user))
	h := md5.New()
	h.Write([]byte(hex.EncodeToString(inner[:])))
	h.Write(salt)
	return "md5" + hex.EncodeToString(h.Sum(nil))
}

// pgConn reads and writes protocol messages.
type pgConn struct {
	w io.Writer
	r *bufio.Reader
}

// send writes a message of type typ (0: the untyped startup message) whose
// fields are NUL-terminated strings.
func (c *pgConn) send(typ byte, fields ...string) error {
	var b []byte
	if typ != 0 {
		b = append(b, typ)
	}
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	if typ == 0 {
		b = binary.BigEndian.AppendUint32(b, 3<<16) // protocol 3.0
	}
	for _, f := range fields {
		b = append(append(b, f...), 0)
	}
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at))
	_, err := c.w.Write(b)
	return err
}

func (c *pgConn) sendSASLInitial(data string) error {
	b := append([]byte(scramMechanism), 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return c.sendRaw('p', append(b, data...))
}

// sendRaw writes a message whose body is given as is.
func (c *pgConn) sendRaw(typ byte, body []byte) error {
	b := binary.BigEndian.AppendUint32([]byte{typ}, uint32(4+len(body)))
	_, err := c.w.Write(append(b, body...))
	return err
}

// read returns the next message; step names what the answer was awaited for.
func (c *pgConn) read(step string) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return 0, nil, ioError("postgres", step, err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n < 4 || n > 1<<20 {
		return 0, nil, fmt.Errorf("postgres: malformed message (type %q, length %d): is this a PostgreSQL server?", hdr[0], n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, ioError("postgres", step, err)
	}
	return hdr[0], body, nil
}

// untilReady reads messages until ReadyForQuery, and reports whether it
// came. An error from the server ends the session; judge gives the verdict.
func (c *pgConn) untilReady(step string, judge func(pgError) error) (bool, error) {
	for {
		typ, body, err := c.read("waiting for the answer to " + step)
		if err != nil {
			return false, err
		}
		switch typ {
		case 'Z':
			return true, nil
		case 'E':
			return false, judge(parsePGError(body))
		}
	}
}

// pgError is the interesting part of an ErrorResponse.
type pgError struct{ code, msg, detail string }

func parsePGError(body []byte) pgError {
	var e pgError
	for len(body) > 1 {
		field := body[0]
		value, rest, _ := strings.Cut(string(body[1:]), "\x00")
		body = []byte(rest)
		switch field {
		case 'C':
			e.code = value
		case 'M':
			e.msg = value
		case 'D':
			e.detail = value
		}
	}
	return e
}

func (e pgError) err() error { return errors.New("postgres: " + e.String()) }

func (e pgError) String() string {
	s := fmt.Sprintf("%s (%s)", e.msg, e.code)
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}
