package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
)

// MySQL is ready when a MySQL or MariaDB server sends its handshake and,
// with a user in the URL, when that user logs in (mysql_native_password or
// caching_sha2_password's fast path) and COM_PING succeeds.
//
// Without a user the check still answers the handshake, as user "initbox"
// with no password, like "mysqladmin ping": a client that hangs up in the
// middle of the handshake counts against max_connect_errors, and enough of
// them get the client's host blocked; a refused login does not.
type MySQL struct{ session }

// mysqlProbeUser is the user named when the URL names none; the server's
// log shows it, so an operator sees who knocked.
const mysqlProbeUser = "initbox"

// Capability flags of the client handshake.
const (
	myLongPassword     = 1
	myConnectWithDB    = 8
	myProtocol41       = 0x200
	mySecureConnection = 0x8000
	myPluginAuth       = 0x80000
)

func newMySQL(target string, o Options) (*MySQL, error) {
	ep, err := parseEndpoint(target, "3306", o.Auth)
	if err != nil {
		return nil, err
	}
	return &MySQL{session{ep: ep, proto: "mysql"}}, nil
}

// Check reads the handshake, logs in and pings.
func (m *MySQL) Check(ctx context.Context) error { return m.attempt(ctx, m.talk) }

func (m *MySQL) talk(_ context.Context, conn net.Conn, pass string) error {
	c := &myConn{w: conn, r: bufio.NewReader(conn)}
	greeting, err := c.read("waiting for the handshake")
	if err != nil {
		return err
	}
	if greeting[0] == 0xff { // too many connections, host blocked, …
		return myError(greeting)
	}
	hs, err := parseMyHandshake(greeting)
	if err != nil {
		return err
	}
	user := m.ep.user
	if user == "" {
		user, pass = mysqlProbeUser, ""
	}
	err = m.login(c, hs, user, pass)
	if m.ep.user == "" {
		return nil // the handshake came: ready, whatever the login said
	}
	if err != nil {
		return err
	}
	c.seq = 0
	if err := c.write([]byte{0x0e}); err != nil { // COM_PING
		return ioError("mysql", "sending COM_PING", err)
	}
	if p, err := c.read("waiting for the answer to COM_PING"); err != nil {
		return err
	} else if p[0] != 0x00 {
		return myError(p)
	}
	c.seq = 0
	c.write([]byte{0x01}) // COM_QUIT, so the server logs no aborted connection
	return nil
}

// myHandshake is what the check needs from the server's greeting.
type myHandshake struct {
	caps   uint32
	salt   []byte
	plugin string
}

func parseMyHandshake(p []byte) (*myHandshake, error) {
	if p[0] != 10 {
		return nil, fmt.Errorf("mysql: handshake version %d, want 10: is this a MySQL server?", p[0])
	}
	_, rest, ok := bytes.Cut(p[1:], []byte{0}) // server version
	if !ok || len(rest) < 4+8+1+2 {
		return nil, errors.New("mysql: short handshake: is this a MySQL server?")
	}
	hs := &myHandshake{salt: slices.Clone(rest[4:12])}
	rest = rest[13:]
	hs.caps = uint32(binary.LittleEndian.Uint16(rest))
	if len(rest) >= 2+1+2+2+1+10 {
		hs.caps |= uint32(binary.LittleEndian.Uint16(rest[5:])) << 16
		rest = rest[18:]
		if hs.caps&mySecureConnection != 0 && len(rest) >= 12 {
			hs.salt = append(hs.salt, rest[:12]...)
			rest = rest[min(13, len(rest)):]
		}
		if hs.caps&myPluginAuth != 0 {
			name, _, _ := bytes.Cut(rest, []byte{0})
			hs.plugin = string(name)
		}
	}
	if hs.caps&myProtocol41 == 0 {
		return nil, errors.New("mysql: the server is older than MySQL 4.1: not supported")
	}
	return hs, nil
}

// login sends the handshake response and follows the server through auth
// switches and caching_sha2_password's extra round.
func (m *MySQL) login(c *myConn, hs *myHandshake, user, pass string) error {
	plugin := hs.plugin
	if plugin != "caching_sha2_password" {
		plugin = "mysql_native_password" // the server switches us if it wants another
	}
	auth, _ := myScramble(plugin, pass, hs.salt)
	caps := uint32(myLongPassword | myProtocol41 | mySecureConnection | myPluginAuth)
	if m.ep.path != "" {
		caps |= myConnectWithDB
	}
	b := binary.LittleEndian.AppendUint32(nil, caps&(hs.caps|myConnectWithDB))
	b = binary.LittleEndian.AppendUint32(b, 1<<24) // max packet
	b = append(b, 45)                              // utf8mb4
	b = append(b, make([]byte, 23)...)
	b = append(append(b, user...), 0)
	b = append(append(b, byte(len(auth))), auth...)
	if m.ep.path != "" {
		b = append(append(b, m.ep.path...), 0)
	}
	if hs.caps&myPluginAuth != 0 {
		b = append(append(b, plugin...), 0)
	}
	if err := c.write(b); err != nil {
		return ioError("mysql", "sending the handshake response", err)
	}
	for {
		p, err := c.read("waiting for the answer to the login")
		if err != nil {
			return err
		}
		switch p[0] {
		case 0x00:
			return nil
		case 0xff:
			return myError(p)
		case 0xfe: // switch to another plugin, with a new salt
			name, salt, _ := bytes.Cut(p[1:], []byte{0})
			plugin = string(name)
			salt = bytes.TrimSuffix(salt, []byte{0})
			if auth, err = myScramble(plugin, pass, salt); err != nil {
				return fmt.Errorf("mysql: user %q: %w", user, err)
			}
			err = c.write(auth)
		case 0x01: // caching_sha2_password: 3 fast path done, 4 full auth wanted
			if len(p) == 2 && p[1] == 3 {
				continue
			}
			return fmt.Errorf("mysql: user %q: caching_sha2_password wants full authentication, which needs TLS or the server's RSA key (initbox has neither): connect once with TLS so the server caches the password, or use mysql_native_password for this user", user)
		default:
			return fmt.Errorf("mysql: unexpected packet 0x%02x during login", p[0])
		}
		if err != nil {
			return ioError("mysql", "answering the authentication switch", err)
		}
	}
}

// myScramble proves the password without sending it.
func myScramble(plugin, pass string, salt []byte) ([]byte, error) {
	if len(salt) > 20 {
		salt = salt[:20]
	}
	switch plugin {
	case "mysql_native_password": // SHA1(pw) ^ SHA1(salt + SHA1(SHA1(pw)))
		if pass == "" {
			return nil, nil
		}
		h1 := sha1.Sum([]byte(pass))
		h2 := sha1.Sum(h1[:])
		h3 := sha1.Sum(append(slices.Clone(salt), h2[:]...))
		return xorBytes(h1[:], h3[:]), nil
	case "caching_sha2_password": // SHA256(pw) ^ SHA256(SHA256(SHA256(pw)) + salt)
		if pass == "" {
			return nil, nil
		}
		h1 := sha256.Sum256([]byte(pass))
		h2 := sha256.Sum256(h1[:])
		h3 := sha256.Sum256(append(h2[:], salt...))
		return xorBytes(h1[:], h3[:]), nil
	}
	return nil, fmt.Errorf("the server wants the %s authentication plugin, which initbox does not speak: use mysql_native_password or caching_sha2_password", plugin)
}

func xorBytes(a, b []byte) []byte {
	for i := range a {
		a[i] ^= b[i]
	}
	return a
}

// myAuthErrors are the server errors that refuse a login rather than say
// the server is not ready: access denied, no such database for this user,
// password expired, account locked.
var myAuthErrors = []uint16{1044, 1045, 1698, 1820, 1862, 3118, 4151}

// myError turns an ERR packet into the verdict.
func myError(p []byte) error {
	if len(p) < 3 {
		return errors.New("mysql: malformed error packet")
	}
	code := binary.LittleEndian.Uint16(p[1:])
	msg := p[3:]
	if len(msg) >= 6 && msg[0] == '#' { // SQL state
		msg = msg[6:]
	}
	text := fmt.Sprintf("%s (%d)", msg, code)
	if slices.Contains(myAuthErrors, code) {
		return &AuthError{"mysql", text}
	}
	if code == 1053 { // ER_SERVER_SHUTDOWN: the server says it is going away
		return definite(errors.New("mysql: " + text))
	}
	return errors.New("mysql: " + text)
}

// myConn reads and writes packets: a 3-byte length, a sequence number.
type myConn struct {
	w   io.Writer
	r   *bufio.Reader
	seq byte
}

func (c *myConn) read(step string) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return nil, ioError("mysql", step, err)
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n == 0 || n > 1<<16 {
		return nil, fmt.Errorf("mysql: packet of %d bytes %s: is this a MySQL server?", n, step)
	}
	c.seq = hdr[3] + 1
	p := make([]byte, n)
	if _, err := io.ReadFull(c.r, p); err != nil {
		return nil, ioError("mysql", step, err)
	}
	return p, nil
}

func (c *myConn) write(p []byte) error {
	b := append([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), c.seq}, p...)
	c.seq++
	_, err := c.w.Write(b)
	return err
}
