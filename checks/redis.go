package checks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/initbox/initbox/internal/option"
)

// Redis is ready when PING is answered PONG: not -LOADING (the dataset is
// still being read), -BUSY (a script runs), -MASTERDOWN and the like. A
// password (redis://:PASSWORD@host, or redis://USER:PASSWORD@host for an
// ACL user) is sent with AUTH first. rediss:// speaks TLS.
type Redis struct{ session }

func newRedis(target string, o Options, secure bool) (*Redis, error) {
	ep, err := parseEndpoint(target, "6379", o.Auth)
	if err != nil {
		return nil, err
	}
	if ep.path != "" {
		if _, err := strconv.ParseUint(ep.path, 10, 8); err != nil {
			return nil, usageErrorf(ep.target, "path %q: want a database number such as /0", ep.path)
		}
	}
	if ep.user != "" && !ep.pass.set {
		return nil, usageErrorf(ep.target, "user %q needs a password: redis://USER:PASSWORD@HOST, %s or %s", ep.user, option.Password, option.PasswordFile)
	}
	s, err := newSession(ep, "redis", secure, o.HTTP.TLS)
	if err != nil {
		return nil, err
	}
	return &Redis{s}, nil
}

// Check sends AUTH (with a password) and PING in one write and reads the
// answers.
func (r *Redis) Check(ctx context.Context) error { return r.attempt(ctx, r.talk) }

func (r *Redis) talk(_ context.Context, conn net.Conn, pass string) error {
	var req []byte
	if r.ep.pass.set {
		args := []string{"AUTH", pass}
		if r.ep.user != "" {
			args = []string{"AUTH", r.ep.user, pass}
		}
		req = respCommand(req, args...)
	}
	req = respCommand(req, "PING")
	if _, err := conn.Write(req); err != nil {
		return ioError("redis", "sending PING", err)
	}
	br := bufio.NewReader(conn)
	if r.ep.pass.set {
		reply, err := respReply(br, "AUTH")
		if err != nil {
			return err
		}
		if reply != "+OK" {
			return redisAuthError(reply)
		}
	}
	reply, err := respReply(br, "PING")
	switch {
	case err != nil:
		return err
	case reply == "+PONG":
		return nil
	case strings.HasPrefix(reply, "-NOAUTH"):
		return &AuthError{"redis", reply[1:] + ": give the password in the URL (redis://:PASSWORD@HOST), " + passwordOptions}
	case strings.HasPrefix(reply, "-LOADING"):
		// The server says itself that it is not serving yet.
		return definite(errors.New("redis: " + reply[1:]))
	}
	return errors.New("redis: " + strings.TrimPrefix(reply, "-"))
}

// redisAuthError reports a failed AUTH: WRONGPASS (Redis 6+) or "ERR
// invalid password" (older) is an authentication failure; anything else,
// such as AUTH sent to a server with no password set, is the server's own
// message.
func redisAuthError(reply string) error {
	msg := strings.TrimPrefix(reply, "-")
	if strings.HasPrefix(msg, "WRONGPASS") || strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password") {
		return &AuthError{"redis", msg}
	}
	return errors.New("redis: AUTH: " + msg)
}

// respCommand appends a command as a RESP array of bulk strings, so that
// any byte of a password is sent as is.
func respCommand(b []byte, args ...string) []byte {
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}

// respReply reads one reply line: "+OK", "+PONG", "-ERR …". The answers
// awaited are all simple strings or errors; anything else is not Redis.
func respReply(br *bufio.Reader, cmd string) (string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("redis: overlong answer to %s: is this a Redis server?", cmd)
		}
		return "", ioError("redis", "waiting for the answer to "+cmd, err)
	}
	s := strings.TrimRight(string(line), "\r\n")
	if s == "" || (s[0] != '+' && s[0] != '-') {
		return "", fmt.Errorf("redis: unexpected answer to %s: %q: is this a Redis server?", cmd, truncate(s, 40))
	}
	return s, nil
}
