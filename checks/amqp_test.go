package checks

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rabbitServer is a RabbitMQ node with its own directory, node name, epmd
// and ports, so that it touches nothing of a system-wide RabbitMQ.
type rabbitServer struct {
	dir, host         string
	port, tlsPort     int
	epmdPort, dist    int
	proc              *proc
	epmd, serverStart string
}

func rabbitBin(t testing.TB) (server, epmd string) {
	t.Helper()
	// The script in /usr/lib runs the broker as the caller; the one in
	// /usr/sbin switches to the rabbitmq user and its system files.
	return need(t, "/usr/lib/rabbitmq/bin/rabbitmq-server"), need(t, "epmd")
}

// freePort is a port the kernel has just handed out on every address, for
// the Erlang daemons that listen on all of them.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func prepareRabbit(server, epmd string) (*rabbitServer, error) {
	dir, err := os.MkdirTemp(work, "rabbit-")
	if err != nil {
		return nil, err
	}
	s := &rabbitServer{dir: dir, serverStart: server, epmd: epmd}
	if s.host, s.port, err = loopbackAddr(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.host+":0")
	if err != nil {
		return nil, err
	}
	s.tlsPort = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if s.epmdPort, err = freePort(); err != nil {
		return nil, err
	}
	if s.dist, err = freePort(); err != nil {
		return nil, err
	}
	if err := writeCert(dir); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`listeners.tcp.default = %s
listeners.ssl.default = %s
ssl_options.cacertfile = %[3]s/server.crt
ssl_options.certfile = %[3]s/server.crt
ssl_options.keyfile = %[3]s/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
default_user = app
default_pass = app-secret
`, s.addr(), hostPort(s.host, s.tlsPort), dir)
	if err := os.WriteFile(filepath.Join(dir, "rabbitmq.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return s, os.WriteFile(filepath.Join(dir, "enabled_plugins"), []byte("[].\n"), 0o644)
}

func (s *rabbitServer) start() (err error) {
	cmd := exec.Command(s.serverStart)
	cmd.Env = append(os.Environ(),
		"HOME="+s.dir, // the Erlang cookie goes here
		"RABBITMQ_NODENAME=initbox-"+strconv.Itoa(s.port)+"@localhost",
		"RABBITMQ_CONFIG_FILE="+filepath.Join(s.dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(s.dir, "enabled_plugins"),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(s.dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(s.dir, "log"),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(s.dir, "rabbitmq-env.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(s.dir, "advanced.config"),
		"RABBITMQ_PID_FILE="+filepath.Join(s.dir, "pid"),
		"RABBITMQ_LOGS=-",
		"RABBITMQ_DIST_PORT="+strconv.Itoa(s.dist),
		"ERL_EPMD_PORT="+strconv.Itoa(s.epmdPort),
		"ERL_EPMD_ADDRESS=127.0.0.1",
	)
	s.proc, err = startProc("rabbitmq-server", filepath.Join(s.dir, "out.log"), "", syscall.SIGTERM, cmd)
	return err
}

// stop ends the broker, then the epmd it started (a daemon of its own).
func (s *rabbitServer) stop() {
	s.proc.Stop()
	cmd := exec.Command(s.epmd, "-kill")
	cmd.Env = append(os.Environ(), "ERL_EPMD_PORT="+strconv.Itoa(s.epmdPort))
	cmd.Run()
}

func (s *rabbitServer) addr() string { return hostPort(s.host, s.port) }

// TestAMQP boots one broker (seconds of Erlang) while a Waiter runs, then
// tries the logins against it.
func TestAMQP(t *testing.T) {
	s, err := prepareRabbit(rabbitBin(t))
	if err != nil {
		t.Fatal(err)
	}
	bg := waitWhileRefused(t, mustParse(t, "amqp://app:app-secret@"+s.addr(), Options{}))
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	select {
	case err = <-bg.done:
	case <-s.proc.done:
		t.Fatal(s.proc.exited())
	}
	if err != nil {
		t.Fatalf("broker started: %v (reasons seen: %q)", err, bg.seen.list())
	}
	t.Logf("reasons seen while the broker booted: %q", bg.seen.list())

	pwFile := passwordFile(t, "app-secret")
	ca := filepath.Join(s.dir, "server.crt")
	tlsAddr := hostPort(s.host, s.tlsPort)
	tests := []struct {
		name, url string
		opts      Options
		want      string
	}{
		{"no user: Connection.Start is enough", "amqp://" + s.addr(), Options{}, ""},
		{"login", "amqp://app:app-secret@" + s.addr() + "/", Options{}, ""},
		{"vhost spelled out", "amqp://app:app-secret@" + s.addr() + "/%2f", Options{}, ""},
		{"--password-file", "amqp://app@" + s.addr(), Options{Auth: AuthOptions{PasswordFile: pwFile}}, ""},
		{"wrong password", "amqp://app:nope@" + s.addr(), Options{}, "auth: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"},
		{"unknown vhost", "amqp://app:app-secret@" + s.addr() + "/nosuchvhost", Options{}, "amqp: NOT_ALLOWED - vhost nosuchvhost not found (530)"},
		{"amqps", "amqps://app:app-secret@" + tlsAddr, Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca, ServerName: "initbox.test"}}}, ""},
		{"amqps, unknown CA", "amqps://app:app-secret@" + tlsAddr, Options{}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, tt.url, tt.opts).Check(t.Context())
			checkVerdict(t, err, tt.want, "secret", "nope")
		})
	}
	// Logins end with Connection.Close, so the broker logs clean closes;
	// only the check without a user, which has nothing to close before
	// logging in, hangs up after Connection.Start.
	var abrupt int
	err = until(nil, 5*time.Second, func() error {
		log, _ := os.ReadFile(s.proc.log)
		if abrupt = strings.Count(string(log), "client unexpectedly closed TCP connection"); abrupt == 0 {
			return fmt.Errorf("no abrupt close logged yet")
		}
		return nil
	})
	if err != nil || abrupt != 1 {
		t.Errorf("the broker logged %d abrupt closes, want 1 (the check without a user); %v", abrupt, err)
	}
}
