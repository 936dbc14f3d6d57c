package checks

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/initbox/initbox/internal/hangup"
	"github.com/initbox/initbox/internal/httpopt"
	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// AuthOptions supplies the password of protocol targets (postgres, mysql,
// redis, amqp, nats, mqtt) whose URL carries none. A password in the URL
// wins.
type AuthOptions struct {
	Password string
	// PasswordFile is read afresh on every attempt, so a rotated secret is
	// picked up; a final newline is dropped. It must be readable when the
	// target is parsed, so that a typo is a usage error, not a long wait.
	PasswordFile string
}

// AuthError is a server refusing the credentials. The wait goes on (the
// secret may be mounted or the user created after the server starts), but
// the message says plainly that authentication failed.
type AuthError struct {
	Proto string // "postgres", "mysql", …
	Msg   string // the server's words
}

func (e *AuthError) Error() string { return e.Proto + ": authentication failed: " + e.Msg }

// passwordOptions ends the advice of a message about a missing password.
var passwordOptions = string(option.Password) + " or " + string(option.PasswordFile)

// endpoint is a protocol target's URL, parsed and validated once.
type endpoint struct {
	target string // secrets removed, for String and messages
	host   string
	addr   string // host:port
	user   string // "" when the URL names none
	pass   credential
	path   string // unescaped, without the leading slash
	query  url.Values
}

// parseEndpoint validates scheme://[user[:password]@]host[:port][/path][?query]
// with only the query parameters in params allowed.
func parseEndpoint(target, defaultPort string, auth AuthOptions, params ...string) (*endpoint, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, usageErrorf(target, "%s", redact.ParseError(target, err))
	}
	if u.Hostname() == "" {
		return nil, usageErrorf(target, "missing host: want %s://HOST[:PORT]", u.Scheme)
	}
	port := u.Port()
	if port == "" {
		if defaultPort == "" {
			return nil, usageErrorf(target, "missing port: want %s://HOST:PORT", u.Scheme)
		}
		port = defaultPort
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, usageErrorf(target, "bad port %q: want a number from 1 to 65535", port)
	}
	for k := range u.Query() {
		if !slices.Contains(params, k) {
			return nil, usageErrorf(target, "unknown parameter %q (%s)", k, allowed(params))
		}
	}
	ep := &endpoint{target: redact.URL(target), host: u.Hostname(), addr: net.JoinHostPort(u.Hostname(), port),
		path: strings.TrimPrefix(u.Path, "/"), query: u.Query()}
	if u.User != nil {
		ep.user = u.User.Username()
	}
	if ep.pass, err = newCredential(u.User, auth); err != nil {
		return nil, err
	}
	return ep, nil
}

func allowed(params []string) string {
	if len(params) == 0 {
		return "this scheme takes none"
	}
	return "want " + strings.Join(params, ", ")
}

// credential is a password from the URL, --password, or a file read on
// every attempt.
type credential struct {
	value string
	file  string
	set   bool
}

func newCredential(user *url.Userinfo, o AuthOptions) (credential, error) {
	if p, ok := user.Password(); ok {
		return credential{value: p, set: true}, nil
	}
	switch {
	case o.Password != "" && o.PasswordFile != "":
		return credential{}, option.Errorf(option.PasswordFile, "", "give either %s or %s, not both", option.Password, option.PasswordFile)
	case o.PasswordFile != "":
		f, err := os.Open(o.PasswordFile)
		if err != nil {
			return credential{}, httpopt.SecretFileError(option.PasswordFile, "", o.PasswordFile, err)
		}
		f.Close()
		return credential{file: o.PasswordFile, set: true}, nil
	}
	return credential{value: o.Password, set: o.Password != ""}, nil
}

func (c credential) get() (string, error) {
	if c.file == "" {
		return c.value, nil
	}
	b, err := os.ReadFile(c.file)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", option.PasswordFile, err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}

// session is what every protocol check holds: its endpoint, its name in
// messages, and for a scheme that speaks TLS from the first byte (rediss,
// amqps, mqtts) the TLS settings. Postgres and NATS start TLS within the
// protocol themselves.
type session struct {
	ep          *endpoint
	proto       string
	implicitTLS *tlsConfig
}

func newSession(ep *endpoint, proto string, secure bool, o TLSOptions) (session, error) {
	cfg, err := tlsWhen(secure, o)
	return session{ep: ep, proto: proto, implicitTLS: cfg}, err
}

func (s *session) String() string { return s.ep.target }

// attempt is one try of a check: it opens a connection, lets talk speak the
// protocol over it with the password of this attempt, and closes it.
func (s *session) attempt(ctx context.Context, talk func(ctx context.Context, conn net.Conn, pass string) error) error {
	conn, pass, err := s.ep.open(ctx, s.implicitTLS, s.proto)
	if err != nil {
		return err
	}
	defer conn.Close()
	return unanswered(talk(ctx, conn, pass), conn)
}

// open starts one attempt of a protocol check: it reads the password (from
// its file again: a mounted secret may have changed), dials, and runs the
// TLS handshake when tls is set. Closing conn closes the TCP connection
// itself, with no TLS close_notify to wait on: the check is done with it.
func (ep *endpoint) open(ctx context.Context, tls *tlsConfig, proto string) (conn net.Conn, pass string, err error) {
	if pass, err = ep.pass.get(); err != nil {
		return nil, "", err
	}
	raw, err := dialSession(ctx, ep.addr)
	if hangup.Is(err) { // a reset in the TCP handshake: it accepted and hung up
		return nil, "", &HangUpError{proto, "without answering", err}
	}
	if err != nil {
		return nil, "", err
	}
	if tls == nil {
		return raw, pass, nil
	}
	tc, err := startTLS(ctx, raw, tls.clone(), ep.host, proto)
	if err != nil {
		raw.Close()
		return nil, "", unanswered(err, raw)
	}
	return rawCloser{Conn: tc, raw: raw}, pass, nil
}

// rawCloser is a TLS connection whose Close closes the TCP connection.
type rawCloser struct {
	net.Conn
	raw *sessionConn
}

func (c rawCloser) Close() error { return c.raw.Close() }

// dialSession opens one attempt's TCP connection. Every read and write is
// bound by ctx's deadline, and ending ctx (a signal) unblocks them at once.
func dialSession(ctx context.Context, addr string) (*sessionConn, error) {
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return &sessionConn{Conn: conn, stop: stop}, nil
}

type sessionConn struct {
	net.Conn
	stop  func() bool
	heard bool // the server has sent a byte
}

func (c *sessionConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.heard = c.heard || n > 0
	return n, err
}

func (c *sessionConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// startTLS runs the TLS handshake over conn, verifying the certificate for
// host unless cfg names another server or skips verification; proto names
// the check in its errors.
func startTLS(ctx context.Context, conn net.Conn, cfg *tls.Config, host, proto string) (net.Conn, error) {
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		if hangup.Is(err) {
			return nil, ioError(proto, "during the TLS handshake", err)
		}
		return nil, fmt.Errorf("%s: TLS handshake: %w", proto, err)
	}
	return tc, nil
}

// clientID is a random name for protocols that want one per connection, so
// that two checks at once never take each other's session.
func clientID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "initbox-" + hex.EncodeToString(b)
}
