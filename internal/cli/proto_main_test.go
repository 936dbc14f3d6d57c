package cli

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// miniRedis answers AUTH and PING like Redis with requirepass set to
// password, enough to see that the CLI hands the password through.
func miniRedis(t *testing.T, password string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveMiniRedis(conn, password)
		}
	}()
	return ln.Addr().String()
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

func TestPasswordFromEnvironmentAndFile(t *testing.T) {
	addr := miniRedis(t, "s3cret")
	file := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(file, []byte("s3cret\n"), 0o600)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     string // in stderr
	}{
		{"INITBOX_PASSWORD", map[string]string{"INITBOX_PASSWORD": "s3cret"}, nil, 0, ""},
		{"INITBOX_PASSWORD_FILE", map[string]string{"INITBOX_PASSWORD_FILE": file}, nil, 0, ""},
		{"--password-file", nil, []string{"--password-file", file}, 0, ""},
		{"wrong password", map[string]string{"INITBOX_PASSWORD": "wr0ng"}, nil, 1, "redis: authentication failed: WRONGPASS"},
		{"no password", nil, nil, 1, "redis: authentication failed: NOAUTH"},
		{"both", map[string]string{"INITBOX_PASSWORD": "s3cret"}, []string{"--password-file", file}, 2, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append(append([]string{"check"}, tt.args...), "redis://"+addr)
			code, _, _, stderr := runInitbox(t, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tt.wantCode, tt.want)
			}
			if strings.Contains(stderr, "s3cret") || strings.Contains(stderr, "wr0ng") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}
}
