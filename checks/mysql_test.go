package checks

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// myServer is a MariaDB instance in its own directory under work.
type myServer struct {
	dir, host string
	port      int
	proc      *proc
}

// mariadbBin finds the server; the client and mariadb-install-db come
// with it.
func mariadbBin(t testing.TB) string {
	t.Helper()
	bin := need(t, "mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
	need(t, "mariadb-install-db", "mysql_install_db")
	need(t, "mariadb", "mysql")
	return bin
}

func prepareMariaDB() (*myServer, error) {
	dir, err := os.MkdirTemp(work, "my-")
	if err != nil {
		return nil, err
	}
	install, _ := exec.LookPath("mariadb-install-db")
	if install == "" {
		install = "mysql_install_db"
	}
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(dir, "data"), "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Getuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", install, err, out)
	}
	s := &myServer{dir: dir}
	s.host, s.port, err = loopbackAddr()
	return s, err
}

func (s *myServer) start(bin string) (err error) {
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(s.dir, "data"),
		"--socket=" + filepath.Join(s.dir, "sock"), "--pid-file=" + filepath.Join(s.dir, "pid"),
		"--bind-address=" + s.host, "--port=" + strconv.Itoa(s.port), "--skip-log-bin",
		"--innodb-buffer-pool-size=16M", "--log-error=" + filepath.Join(s.dir, "err.log")}
	if os.Getuid() == 0 {
		args = append(args, "--user=root")
	}
	s.proc, err = startProc("mariadbd", filepath.Join(s.dir, "out.log"), "", syscall.SIGTERM, exec.Command(bin, args...))
	return err
}

func (s *myServer) addr() string { return hostPort(s.host, s.port) }

// sql runs statements as root over the unix socket.
func (s *myServer) sql(stmts string) error {
	client, _ := exec.LookPath("mariadb")
	if client == "" {
		client = "mysql"
	}
	out, err := exec.Command(client, "--no-defaults", "-S", filepath.Join(s.dir, "sock"), "-uroot", "-e", stmts).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", client, err, out)
	}
	return nil
}

var sharedMariaDB = shared(mariadbBin, func(bin string) (*myServer, error) {
	s, err := prepareMariaDB()
	if err != nil {
		return nil, err
	}
	if err := s.start(bin); err != nil {
		return nil, err
	}
	onShutdown(s.proc.Stop)
	if err := until(s.proc, 30*time.Second, func() error { return s.sql("SELECT 1") }); err != nil {
		return nil, err
	}
	return s, s.sql("CREATE USER app@'%' IDENTIFIED BY 'app-secret'; CREATE DATABASE appdb; GRANT ALL ON appdb.* TO app@'%'")
})

func TestMySQLStartingUp(t *testing.T) {
	// Nothing listens when the wait begins; then the server starts but the
	// user does not exist yet (access denied); ready once it is created.
	bin := mariadbBin(t)
	s, err := prepareMariaDB()
	if err != nil {
		t.Fatal(err)
	}
	bg := waitWhileRefused(t, mustParse(t, "mysql://app:app-secret@"+s.addr(), Options{}))
	if err := s.start(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.proc.Stop)
	bg.saw(t, "mysql: authentication failed: Access denied for user 'app'")
	if err := s.sql("CREATE USER app@'%' IDENTIFIED BY 'app-secret'"); err != nil {
		t.Fatal(err)
	}
	bg.ready(t, "after creating the user")
}

func TestMySQLLogins(t *testing.T) {
	s := sharedMariaDB(t)
	pwFile := passwordFile(t, "app-secret")
	tests := []loginCase{
		{"no user: the handshake is enough", "mysql://%s", AuthOptions{}, ""},
		{"user and password", "mysql://app:app-secret@%s", AuthOptions{}, ""},
		{"with a database", "mysql://app:app-secret@%s/appdb", AuthOptions{}, ""},
		{"--password-file", "mysql://app@%s/appdb", AuthOptions{PasswordFile: pwFile}, ""},
		{"wrong password", "mysql://app:nope@%s", AuthOptions{}, "auth: Access denied for user 'app'@'localhost' (using password: YES) (1045)"},
		{"no password given", "mysql://app@%s", AuthOptions{}, "auth: (using password: NO) (1045)"},
		{"database not granted", "mysql://app:app-secret@%s/mysql", AuthOptions{}, "auth: to database 'mysql' (1044)"},
	}
	checkLogins(t, s.addr(), tests)
}

func TestMySQLScrambleVectors(t *testing.T) {
	// Published vectors for caching_sha2_password (go-sql-driver/mysql).
	salt := []byte{10, 47, 74, 111, 75, 73, 34, 48, 88, 76, 114, 74, 37, 13, 3, 80, 82, 2, 23, 21}
	for pass, want := range map[string]string{
		"secret":  "f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c",
		"secret2": "abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6",
	} {
		got, err := myScramble("caching_sha2_password", pass, salt)
		if err != nil || fmt.Sprintf("%x", got) != want {
			t.Errorf("scramble(%q) = %x, %v; want %s", pass, got, err, want)
		}
	}
}

// TestMySQLCachingSHA2 covers what MariaDB cannot show: MySQL 8's default
// caching_sha2_password, with a minimal server that speaks its side of the
// login as MySQL 8 does.
func TestMySQLCachingSHA2(t *testing.T) {
	tests := []struct {
		name  string
		reply []byte // after a correct scramble: 0x01 0x03 fast path, 0x01 0x04 full auth
		url   string
		want  string
	}{
		{"fast path", []byte{1, 3}, "mysql://app:s3cret@%s", ""},
		{"full authentication", []byte{1, 4}, "mysql://app:s3cret@%s", "needs TLS or the server's RSA key"},
		{"wrong password", nil, "mysql://app:wrong@%s", "auth: Access denied for user 'app' (1045)"},
		{"unknown plugin", []byte{0xfe, 'c', 'l', 'i', 'e', 'n', 't', '_', 'e', 'd', '2', '5', '5', '1', '9', 0}, "mysql://app:s3cret@%s", "client_ed25519 authentication plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeMySQL8(t, "s3cret", tt.reply)
			err := mustParse(t, fmt.Sprintf(tt.url, addr), Options{}).Check(t.Context())
			checkVerdict(t, err, tt.want, "s3cret")
		})
	}
}

// fakeMySQL8 serves one login with caching_sha2_password: a correct
// scramble gets reply, then OK; a wrong one access denied; COM_PING OK.
func fakeMySQL8(t *testing.T, pass string, reply []byte) string {
	ln := testnet.Listen(t)
	salt := []byte("abcdefghijklmnopqrst")
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		c := &myConn{w: conn, r: bufio.NewReader(conn)}
		hs := []byte{10}
		hs = append(hs, "8.0.36\x00"...)
		hs = append(hs, 1, 0, 0, 0)
		hs = append(hs, salt[:8]...)
		hs = append(hs, 0, 0xff, 0xff, 45, 2, 0, 0xff, 0xdf, 21)
		hs = append(hs, make([]byte, 10)...)
		hs = append(append(hs, salt[8:]...), 0)
		hs = append(hs, "caching_sha2_password\x00"...)
		c.write(hs)
		resp, err := c.read("")
		if err != nil {
			return
		}
		want, _ := myScramble("caching_sha2_password", pass, salt)
		if !bytes.Contains(resp, want) {
			c.write(append([]byte{0xff, 0x15, 0x04, '#', '2', '8', '0', '0', '0'}, "Access denied for user 'app'"...))
			return
		}
		c.write(reply)
		if reply[0] != 1 || reply[1] != 3 {
			c.read("") // the client gives up
			return
		}
		c.write([]byte{0, 0, 0, 2, 0, 0, 0})
		if p, err := c.read(""); err == nil && p[0] == 0x0e {
			c.write([]byte{0, 0, 0, 2, 0, 0, 0})
		}
	}()
	return ln.Addr().String()
}
