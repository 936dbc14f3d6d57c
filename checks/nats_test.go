package checks

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startNATS runs nats-server on host:port with extra arguments, stopped
// when the test ends. It does not wait for the server.
func startNATS(t *testing.T, host string, port int, extra ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-a", host, "-p", strconv.Itoa(port)}, extra...)
	p, err := startProc("nats-server", filepath.Join(dir, "log"), "", syscall.SIGTERM, exec.Command(natsBin(t), args...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// natsBin finds nats-server; Debian puts it in /usr/sbin, which is not in
// every user's PATH.
func natsBin(t *testing.T) string {
	t.Helper()
	return need(t, "nats-server", "/usr/sbin/nats-server")
}

func natsAddr(t *testing.T) (string, int) {
	t.Helper()
	natsBin(t)
	host, port, err := loopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

func TestNATSStartingUp(t *testing.T) {
	host, port := natsAddr(t)
	bg := waitWhileRefused(t, mustParse(t, "nats://"+hostPort(host, port), Options{}))
	startNATS(t, host, port)
	bg.ready(t, "server started")
}

func TestNATSCredentials(t *testing.T) {
	host, port := natsAddr(t)
	p := startNATS(t, host, port, "--user", "app", "--pass", "app-secret")
	thost, tport := natsAddr(t)
	tp := startNATS(t, thost, tport, "--auth", "tok-secret")
	for _, s := range []struct {
		p    *proc
		addr string
	}{{p, hostPort(host, port)}, {tp, hostPort(thost, tport)}} {
		if err := until(s.p, 10*time.Second, func() error { return dialTCP(t.Context(), s.addr) }); err != nil {
			t.Fatal(err)
		}
	}
	pwFile := passwordFile(t, "app-secret")
	addr, tokAddr := hostPort(host, port), hostPort(thost, tport)
	tests := []struct {
		name, url string
		auth      AuthOptions
		want      string
	}{
		{"user and password", "nats://app:app-secret@" + addr, AuthOptions{}, ""},
		{"--password-file", "nats://app@" + addr, AuthOptions{PasswordFile: pwFile}, ""},
		{"wrong password", "nats://app:nope@" + addr, AuthOptions{}, "auth: Authorization Violation"},
		{"no credentials", "nats://" + addr, AuthOptions{}, "auth: Authorization Violation"},
		{"token", "nats://tok-secret@" + tokAddr, AuthOptions{}, ""},
		{"token from --password", "nats://" + tokAddr, AuthOptions{Password: "tok-secret"}, ""},
		{"wrong token", "nats://nope@" + tokAddr, AuthOptions{}, "auth: Authorization Violation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.url, Options{Auth: tt.auth})
			if strings.Contains(c.String(), "secret") || strings.Contains(c.String(), "nope") {
				t.Errorf("String() = %q shows a secret", c)
			}
			err := c.Check(t.Context())
			checkVerdict(t, err, tt.want, "secret", "nope")
		})
	}
}

func TestNATSTLS(t *testing.T) {
	host, port := natsAddr(t)
	dir := t.TempDir()
	if err := writeCert(dir); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "server.crt")
	p := startNATS(t, host, port, "--tls", "--tlscert", ca, "--tlskey", filepath.Join(dir, "server.key"))
	good := mustParse(t, "nats://"+hostPort(host, port), Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca, ServerName: "initbox.test"}}})
	if err := until(p, 10*time.Second, func() error { return good.Check(t.Context()) }); err != nil {
		t.Fatal(err)
	}
	err := mustParse(t, "nats://"+hostPort(host, port), Options{}).Check(t.Context())
	checkVerdict(t, err, "certificate")
}
