package checks

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mosquitto is a broker with three listeners on one loopback address:
// anonymous, with a password file, and TLS with the password file.
type mosquitto struct {
	host                string
	anon, auth, tlsPort int
	dir, bin, conf      string
	proc                *proc
}

func newMosquitto(t *testing.T) *mosquitto {
	t.Helper()
	bin := need(t, "mosquitto", "/usr/sbin/mosquitto")
	passwd := need(t, "mosquitto_passwd", "/usr/bin/mosquitto_passwd")
	m := &mosquitto{dir: t.TempDir()}
	var err error
	if m.host, m.anon, err = loopbackAddr(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*int{&m.auth, &m.tlsPort} {
		ln, err := net.Listen("tcp", m.host+":0")
		if err != nil {
			t.Fatal(err)
		}
		*p = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	pwFile := filepath.Join(m.dir, "passwd")
	if out, err := exec.Command(passwd, "-c", "-b", pwFile, "app", "app-secret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v: %s", err, out)
	}
	if err := writeCert(m.dir); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`user root
per_listener_settings true
listener %d %s
allow_anonymous true
listener %d %[2]s
allow_anonymous false
password_file %[4]s
listener %d %[2]s
allow_anonymous false
password_file %[4]s
certfile %[6]s/server.crt
keyfile %[6]s/server.key
`, m.anon, m.host, m.auth, pwFile, m.tlsPort, m.dir)
	if os.Getuid() != 0 {
		conf = strings.Replace(conf, "user root\n", "", 1)
	}
	m.bin, m.conf = bin, filepath.Join(m.dir, "mosquitto.conf")
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *mosquitto) start(t *testing.T) {
	t.Helper()
	var err error
	m.proc, err = startProc("mosquitto", filepath.Join(m.dir, "log"), "", syscall.SIGTERM, exec.Command(m.bin, "-c", m.conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.proc.Stop)
}

func TestMQTTStartingUp(t *testing.T) {
	m := newMosquitto(t)
	bg := waitWhileRefused(t, mustParse(t, "mqtt://"+hostPort(m.host, m.anon), Options{}))
	m.start(t)
	bg.ready(t, "broker started")
}

func TestMQTTCredentials(t *testing.T) {
	m := newMosquitto(t)
	m.start(t)
	anon, auth, tlsAddr := hostPort(m.host, m.anon), hostPort(m.host, m.auth), hostPort(m.host, m.tlsPort)
	if err := until(m.proc, 10*time.Second, func() error { return dialTCP(t.Context(), tlsAddr) }); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(m.dir, "server.crt")
	tlsOK := TLSOptions{CAFile: ca, ServerName: "initbox.test"}
	tests := []struct {
		name, url string
		opts      Options
		want      string
	}{
		{"anonymous", "mqtt://" + anon, Options{}, ""},
		{"--password ignored without a user", "mqtt://" + anon, Options{Auth: AuthOptions{Password: "x"}}, ""},
		{"no credentials", "mqtt://" + auth, Options{}, "auth: not authorized (CONNACK 5)"},
		{"user and password", "mqtt://app:app-secret@" + auth, Options{}, ""},
		{"--password", "mqtt://app@" + auth, Options{Auth: AuthOptions{Password: "app-secret"}}, ""},
		{"wrong password", "mqtt://app:nope@" + auth, Options{}, "auth: not authorized (CONNACK 5)"},
		{"mqtts", "mqtts://app:app-secret@" + tlsAddr, Options{HTTP: HTTPOptions{TLS: tlsOK}}, ""},
		{"mqtts, unknown CA", "mqtts://app:app-secret@" + tlsAddr, Options{}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, tt.url, tt.opts).Check(t.Context())
			checkVerdict(t, err, tt.want, "secret", "nope")
		})
	}
}
