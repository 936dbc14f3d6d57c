package checks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgServer is a PostgreSQL instance in its own directory under work.
type pgServer struct {
	bin, dir, host string
	port           int
	proc           *proc
}

// pgBin finds the server's programs, which Debian keeps out of PATH.
func pgBin(t testing.TB) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	slices.SortFunc(found, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	bin := filepath.Dir(need(t, append(found, "postgres")...))
	need(t, "psql")
	return bin
}

func pgVersion(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// pgTemplate makes a data directory with initdb once per package run; each
// server gets a copy (initdb takes seconds, a copy milliseconds). Its
// pg_hba.conf gives each test user its own authentication method.
var pgTemplate = onceFor(func(bin string) (string, error) {
	dir := filepath.Join(work, "pg-template")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	if err := chownTree(dir, "postgres"); err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--no-instructions")
	if err := setUser(cmd, "postgres"); err != nil {
		return "", err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	hba := `local all all trust
host pwdb all 127.0.0.0/8 scram-sha-256
host all trustuser 127.0.0.0/8 trust
host all postgres 127.0.0.0/8 trust
host all cleartext 127.0.0.0/8 password
host all md5user 127.0.0.0/8 md5
host all all 127.0.0.0/8 scram-sha-256
`
	return data, os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600)
})

// preparePG copies the template into a new directory and picks the
// server's address; start runs it.
func preparePG(bin string, standby bool) (*pgServer, error) {
	tmpl, err := pgTemplate(bin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, "pg-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("cp", "-a", tmpl, data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("copying the template: %v\n%s", err, out)
	}
	if standby {
		// A standby with no primary and hot_standby=off refuses every
		// connection with 57P03 until it is promoted.
		os.WriteFile(filepath.Join(data, "standby.signal"), nil, 0o600)
	}
	s := &pgServer{bin: bin, dir: dir}
	if s.host, s.port, err = loopbackAddr(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *pgServer) start(extra ...string) (err error) {
	if err := chownTree(s.dir, "postgres"); err != nil {
		return err
	}
	args := append([]string{"-D", filepath.Join(s.dir, "data"), "-c", "listen_addresses=" + s.host,
		"-p", strconv.Itoa(s.port), "-c", "unix_socket_directories=" + s.dir,
		"-c", "fsync=off", "-c", "hot_standby=off"}, extra...)
	// SIGINT is PostgreSQL's fast shutdown.
	s.proc, err = startProc("postgres", filepath.Join(s.dir, "log"), "postgres", syscall.SIGINT,
		exec.Command(filepath.Join(s.bin, "postgres"), args...))
	return err
}

func (s *pgServer) addr() string { return hostPort(s.host, s.port) }

// psql runs SQL as the superuser over the unix socket.
func (s *pgServer) psql(sql string) error {
	out, err := exec.Command("psql", "-h", s.dir, "-p", strconv.Itoa(s.port), "-U", "postgres", "-d", "postgres",
		"-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: %v: %s", err, out)
	}
	return nil
}

func (s *pgServer) promote() error {
	cmd := exec.Command(filepath.Join(s.bin, "pg_ctl"), "promote", "-D", filepath.Join(s.dir, "data"))
	setUser(cmd, "postgres")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl promote: %v: %s", err, out)
	}
	return nil
}

// sharedPG is a primary with TLS on and one user per authentication
// method, shared by the package's tests.
var sharedPG = shared(pgBin, func(bin string) (*pgServer, error) {
	s, err := preparePG(bin, false)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	if err := writeCert(data); err != nil {
		return nil, err
	}
	if err := s.start("-c", "ssl=on"); err != nil {
		return nil, err
	}
	onShutdown(s.proc.Stop)
	if err := until(s.proc, 30*time.Second, func() error { return s.psql("SELECT 1") }); err != nil {
		return nil, err
	}
	return s, s.psql(`SET password_encryption = 'md5';
		CREATE ROLE md5user LOGIN PASSWORD 'md5-secret';
		RESET password_encryption;
		CREATE ROLE scramuser LOGIN PASSWORD 'scram-secret';
		CREATE ROLE cleartext LOGIN PASSWORD 'clear-secret';
		CREATE ROLE trustuser LOGIN;`)
})

func TestPostgresStartingUp(t *testing.T) {
	// The server is not there when the wait begins; it comes up as a
	// standby that refuses connections (57P03); once promoted it refuses
	// the user, who does not exist yet, and is ready when the user is
	// created, as an init script would do it.
	bin := pgBin(t)
	s, err := preparePG(bin, true)
	if err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, "postgres://trustuser@"+s.addr()+"/postgres", Options{})
	bg := waitWhileRefused(t, c)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.proc.Stop)
	bg.saw(t, "(57P03)")
	// The server may still say "starting up" (57P03 too); then it stays
	// in recovery with its own reason.
	err = until(s.proc, 10*time.Second, func() error {
		want := "postgres: the database system is not accepting connections (57P03): Hot standby mode is disabled."
		if err := c.Check(t.Context()); err == nil || err.Error() != want {
			return fmt.Errorf("got %v, want %q", err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.promote(); err != nil {
		t.Fatal(err)
	}
	bg.saw(t, `authentication failed: role "trustuser" does not exist (28000)`)
	if err := s.psql("CREATE ROLE trustuser LOGIN"); err != nil {
		t.Fatal(err)
	}
	bg.ready(t, "after promotion")
}

func TestPostgresLogins(t *testing.T) {
	s := sharedPG(t)
	pwFile := passwordFile(t, "scram-secret")
	tests := []loginCase{
		{"no user: logs in as postgres", "postgres://%s", AuthOptions{}, ""},
		{"no user, unknown database", "postgres://%s/nodb", AuthOptions{}, `database "nodb" does not exist (3D000)`},
		{"no user: a password request is enough", "postgres://%s/pwdb", AuthOptions{}, ""},
		{"trust", "postgres://trustuser@%s/postgres", AuthOptions{}, ""},
		{"trust, unknown database", "postgres://trustuser@%s/nodb", AuthOptions{}, `database "nodb" does not exist (3D000)`},
		{"cleartext", "postgres://cleartext:clear-secret@%s/postgres", AuthOptions{}, ""},
		{"cleartext, wrong password", "postgres://cleartext:nope@%s/postgres", AuthOptions{}, "auth: password authentication failed for user \"cleartext\" (28P01)"},
		{"md5", "postgres://md5user:md5-secret@%s/postgres", AuthOptions{}, ""},
		{"md5, wrong password", "postgres://md5user:nope@%s/postgres", AuthOptions{}, "auth: (28P01)"},
		{"scram", "postgres://scramuser:scram-secret@%s/postgres", AuthOptions{}, ""},
		{"scram, wrong password", "postgres://scramuser:nope@%s/postgres", AuthOptions{}, "auth: (28P01)"},
		{"scram, --password", "postgres://scramuser@%s/postgres", AuthOptions{Password: "scram-secret"}, ""},
		{"scram, --password-file", "postgres://scramuser@%s/postgres", AuthOptions{PasswordFile: pwFile}, ""},
		{"URL password wins", "postgres://scramuser:scram-secret@%s/postgres", AuthOptions{Password: "nope"}, ""},
		{"no password given", "postgres://scramuser@%s/postgres", AuthOptions{}, `auth: the server wants a password for user "scramuser"`},
		{"unknown user", "postgres://nobody:x@%s/postgres", AuthOptions{}, "auth: (28P01)"},
	}
	checkLogins(t, s.addr(), tests)
}

func TestPostgresTLS(t *testing.T) {
	s := sharedPG(t)
	ca := filepath.Join(s.dir, "data", "server.crt")
	plain, err := preparePG(pgBin(t), true) // ssl off; its 57P03 comes after SSLRequest
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.proc.Stop)
	tests := []struct {
		name, url string
		tls       TLSOptions
		want      string
	}{
		{"require encrypts without verifying", "postgres://scramuser:scram-secret@%s/postgres?sslmode=require", TLSOptions{}, ""},
		{"verify-full with the CA and name", "postgres://scramuser:scram-secret@%s/postgres?sslmode=verify-full", TLSOptions{CAFile: ca, ServerName: "initbox.test"}, ""},
		{"verify-full, name mismatch", "postgres://scramuser:scram-secret@%s/postgres?sslmode=verify-full", TLSOptions{CAFile: ca}, "certificate"},
		{"verify-full, unknown CA", "postgres://scramuser:scram-secret@%s/postgres?sslmode=verify-full", TLSOptions{ServerName: "initbox.test"}, "certificate"},
		{"verify-ca ignores the name", "postgres://scramuser:scram-secret@%s/postgres?sslmode=verify-ca", TLSOptions{CAFile: ca}, ""},
		{"verify-ca, unknown CA", "postgres://scramuser:scram-secret@%s/postgres?sslmode=verify-ca", TLSOptions{}, "certificate"},
		{"disable", "postgres://md5user:md5-secret@%s/postgres?sslmode=disable", TLSOptions{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, fmt.Sprintf(tt.url, s.addr()), Options{HTTP: HTTPOptions{TLS: tt.tls}}).Check(t.Context())
			checkVerdict(t, err, tt.want, "secret")
		})
	}
	err = until(plain.proc, 30*time.Second, func() error {
		err := mustParse(t, "postgres://"+plain.addr()+"?sslmode=require", Options{}).Check(t.Context())
		if err == nil || !strings.Contains(err.Error(), "does not offer TLS") {
			return fmt.Errorf("got %v, want 'does not offer TLS'", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkVerdict compares a Check's result with want: "" means ready, "auth:
// …" an *AuthError whose message contains the rest, anything else an error
// containing it. No secret may appear in the message.
func checkVerdict(t *testing.T, err error, want string, secrets ...string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got %v, want ready", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got ready, want an error mentioning %q", want)
	}
	if rest, ok := strings.CutPrefix(want, "auth: "); ok {
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Errorf("got %T %v, want an *AuthError", err, err)
		}
		if !strings.Contains(err.Error(), "authentication failed") {
			t.Errorf("%q does not say authentication failed", err)
		}
		want = rest
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to mention %q", err, want)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%q shows a secret", err)
		}
	}
}
