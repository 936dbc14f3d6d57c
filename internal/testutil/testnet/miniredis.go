package testnet

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// MiniRedis answers AUTH and PING like Redis with requirepass set to
// password, enough to see that a password is handed through. It returns the
// address it listens on, until the test ends.
func MiniRedis(t *testing.T, password string) string {
	t.Helper()
	return Serve(t, func(conn net.Conn) { serveMiniRedis(conn, password) })
}

func serveMiniRedis(conn net.Conn, password string) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	authed := false
	for {
		var args []string
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "*") {
			return
		}
		for n := int(line[1] - '0'); n > 0; n-- {
			br.ReadString('\n') // $len
			arg, _ := br.ReadString('\n')
			args = append(args, strings.TrimRight(arg, "\r\n"))
		}
		switch {
		case args[0] == "AUTH" && args[len(args)-1] == password:
			authed = true
			conn.Write([]byte("+OK\r\n"))
		case args[0] == "AUTH":
			conn.Write([]byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n"))
		case args[0] == "PING" && authed:
			conn.Write([]byte("+PONG\r\n"))
		default:
			conn.Write([]byte("-NOAUTH Authentication required.\r\n"))
		}
	}
}
