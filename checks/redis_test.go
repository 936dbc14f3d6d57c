package checks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redisServer is a redis-server in its own directory under work.
type redisServer struct {
	dir, host string
	port      int
	proc      *proc
}

func redisBin(t testing.TB) string {
	t.Helper()
	need(t, "redis-cli")
	return need(t, "redis-server")
}

func newRedisServer() (*redisServer, error) {
	dir, err := os.MkdirTemp(work, "redis-")
	if err != nil {
		return nil, err
	}
	s := &redisServer{dir: dir}
	s.host, s.port, err = loopbackAddr()
	return s, err
}

// start runs the server; it loads dump.rdb from its directory if there is
// one.
func (s *redisServer) start(extra ...string) (err error) {
	args := append([]string{"--bind", s.host, "--port", strconv.Itoa(s.port), "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, extra...)
	s.proc, err = startProc("redis-server", filepath.Join(s.dir, "log"), "", syscall.SIGTERM, exec.Command("redis-server", args...))
	return err
}

func (s *redisServer) addr() string { return hostPort(s.host, s.port) }

// cli runs a command with redis-cli; port overrides the plain port (TLS).
func (s *redisServer) cli(args ...string) (string, error) {
	out, err := exec.Command("redis-cli", append([]string{"-h", s.host, "-p", strconv.Itoa(s.port), "--no-auth-warning"}, args...)...).CombinedOutput()
	if err != nil || strings.HasPrefix(string(out), "ERR") || strings.HasPrefix(string(out), "NOAUTH") {
		return "", fmt.Errorf("redis-cli %s: %v: %s", args[0], err, out)
	}
	return string(out), nil
}

// sharedRedis requires a password and has an ACL user.
var sharedRedis = shared(redisBin, func(string) (*redisServer, error) {
	s, err := newRedisServer()
	if err != nil {
		return nil, err
	}
	if err := s.start("--requirepass", "default-secret", "--busy-reply-threshold", "100"); err != nil {
		return nil, err
	}
	onShutdown(s.proc.Stop)
	err = until(s.proc, 10*time.Second, func() error {
		_, err := s.cli("-a", "default-secret", "ACL", "SETUSER", "app", "on", ">app-secret", "~*", "+@all")
		return err
	})
	return s, err
})

func TestRedisLoading(t *testing.T) {
	// A dataset that takes seconds to load: Redis listens at once but
	// answers -LOADING until it is in memory.
	redisBin(t)
	s, err := newRedisServer()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.start("--enable-debug-command", "yes"); err != nil {
		t.Fatal(err)
	}
	err = until(s.proc, 10*time.Second, func() error {
		_, err := s.cli("DEBUG", "POPULATE", "2000")
		return err
	})
	if err == nil {
		_, err = s.cli("SAVE")
	}
	s.proc.Stop()
	if err != nil {
		t.Fatal(err)
	}

	bg := waitWhileRefused(t, mustParse(t, "redis://"+s.addr(), Options{}))
	if err := s.start("--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024"); err != nil { // 1 ms a key: 2 s, answering meanwhile
		t.Fatal(err)
	}
	t.Cleanup(s.proc.Stop)
	bg.saw(t, "redis: LOADING Redis is loading the dataset in memory")
	bg.ready(t, "after loading")
}

func TestRedisPasswords(t *testing.T) {
	s := sharedRedis(t)
	pwFile := passwordFile(t, "default-secret")
	tests := []loginCase{
		{"no password", "redis://%s", AuthOptions{}, "auth: NOAUTH Authentication required"},
		{"password", "redis://:default-secret@%s", AuthOptions{}, ""},
		{"wrong password", "redis://:nope@%s", AuthOptions{}, "auth: WRONGPASS"},
		{"--password", "redis://%s/0", AuthOptions{Password: "default-secret"}, ""},
		{"--password-file", "redis://%s", AuthOptions{PasswordFile: pwFile}, ""},
		{"ACL user", "redis://app:app-secret@%s", AuthOptions{}, ""},
		{"ACL user, wrong password", "redis://app:nope@%s", AuthOptions{}, "auth: WRONGPASS"},
	}
	checkLogins(t, s.addr(), tests)
}

func TestRedisBusyScript(t *testing.T) {
	s := sharedRedis(t)
	// A script that never ends: after busy-reply-threshold (100 ms) every
	// other client gets -BUSY until SCRIPT KILL.
	script := exec.Command("redis-cli", "-h", s.host, "-p", strconv.Itoa(s.port), "--no-auth-warning", "-a", "default-secret",
		"EVAL", "while true do end", "0")
	if err := script.Start(); err != nil {
		t.Fatal(err)
	}
	defer script.Wait()
	c := mustParse(t, "redis://:default-secret@"+s.addr(), Options{})
	err := until(nil, 10*time.Second, func() error {
		if err := c.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "redis: BUSY Redis is busy running a script") {
			return fmt.Errorf("got %v, want BUSY", err)
		}
		return nil
	})
	if _, kerr := s.cli("-a", "default-secret", "SCRIPT", "KILL"); kerr != nil {
		t.Fatal(kerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The script stops at its next check for a kill, a moment later.
	if err := until(nil, 10*time.Second, func() error { return c.Check(t.Context()) }); err != nil {
		t.Fatalf("after SCRIPT KILL: %v", err)
	}
}

func TestRedisTLS(t *testing.T) {
	redisBin(t)
	s, err := newRedisServer()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeCert(s.dir); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(s.dir, "server.crt")
	if err := s.start("--port", "0", "--tls-port", strconv.Itoa(s.port), "--tls-cert-file", ca,
		"--tls-key-file", filepath.Join(s.dir, "server.key"), "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.proc.Stop)
	good := mustParse(t, "rediss://"+s.addr(), Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca, ServerName: "initbox.test"}}})
	if err := until(s.proc, 10*time.Second, func() error { return good.Check(t.Context()) }); err != nil {
		t.Fatal(err)
	}
	err = mustParse(t, "rediss://"+s.addr(), Options{}).Check(t.Context())
	checkVerdict(t, err, "certificate")
	err = mustParse(t, "redis://"+s.addr(), Options{}).Check(t.Context())
	if err == nil {
		t.Fatal("plain redis:// to a TLS port: got ready")
	}
}
