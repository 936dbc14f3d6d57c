package checks

// Real servers for the protocol checks: PostgreSQL, MariaDB, Redis,
// RabbitMQ, NATS and Mosquitto from Debian's packages (scripts/deps.sh).
// Each test starts what it needs on a loopback address; the servers that
// are slow to start are shared by the package and stopped by TestMain.

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

// work is this package's scratch directory, traversable by the servers
// that run as their own users when the tests run as root.
var work string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "initbox-checks-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	work = dir
	code := m.Run()
	stopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need returns the path of the first of the given programs that exists (a
// name is looked up in PATH). When none does, the test is skipped loudly,
// or fails if INITBOX_REQUIRE_SERVERS is set, as scripts/test.sh does.
// Under go test -short the real servers are left out: they take seconds
// each to start.
func need(t testing.TB, programs ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real server: not under -short")
	}
	for _, p := range programs {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s is not installed: run scripts/deps.sh as root to test against the real server", programs[0])
	if os.Getenv("INITBOX_REQUIRE_SERVERS") != "" {
		t.Fatal(msg)
	}
	fmt.Fprintf(os.Stderr, "\n*** SKIPPED %s: %s ***\n\n", t.Name(), msg)
	t.Skip(msg)
	return ""
}

// loopbackAddr picks an address for a server that cannot be told to
// listen on port 0: a random 127.x.y.z, so programs that guess free ports
// on 127.0.0.1 never collide with it, and a port the kernel has just handed
// out there. Between our close and the server's bind, nothing else binds
// that exact address in practice.
func loopbackAddr() (host string, port int, err error) {
	for range 10 {
		host = fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
		ln, lerr := net.Listen("tcp", host+":0")
		if lerr != nil {
			err = lerr
			continue
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return host, port, nil
	}
	return "", 0, fmt.Errorf("no free loopback address: %w", err)
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// proc is a server process started by a test, in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	stop syscall.Signal // the signal that makes it shut down promptly
	done chan struct{}
}

// startProc starts cmd with its output in log. If runAs names a user and
// the tests run as root, the server runs as that user (PostgreSQL refuses
// to run as root).
func startProc(name, log, runAs string, stop syscall.Signal, cmd *exec.Cmd) (*proc, error) {
	out, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// Pdeathsig: a test binary that dies (a panic, -timeout) skips
	// TestMain's clean-up; the kernel then ends the server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := setUser(cmd, runAs); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, stop: stop, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

func setUser(cmd *exec.Cmd, name string) error {
	if name == "" || os.Getuid() != 0 {
		return nil
	}
	uid, gid, err := lookupIDs(name)
	if err != nil {
		return err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

// lookupIDs returns the user and group IDs of a user name.
func lookupIDs(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// chownTree gives a directory to the user a server runs as, when root.
func chownTree(dir, name string) error {
	if os.Getuid() != 0 {
		return nil
	}
	uid, gid, err := lookupIDs(name)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// Stop shuts the process group down, forcefully after 10 seconds.
func (p *proc) Stop() {
	if p == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, p.stop)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exited reports whether the process has ended, with its log's tail.
func (p *proc) exited() error {
	select {
	case <-p.done:
		tail, _ := os.ReadFile(p.log)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("%s exited (%v); its log ends:\n%s", p.name, p.cmd.ProcessState, tail)
	default:
		return nil
	}
}

// until polls f every 20 ms until it succeeds, p (if any) exits or
// timeout passes.
func until(p *proc, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if p != nil {
			if perr := p.exited(); perr != nil {
				return perr
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %v: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sharedServers are started once for the package and stopped by TestMain.
var sharedServers struct {
	sync.Mutex
	stops []func()
}

func onShutdown(f func()) {
	sharedServers.Lock()
	defer sharedServers.Unlock()
	sharedServers.stops = append(sharedServers.stops, f)
}

func stopShared() {
	sharedServers.Lock()
	defer sharedServers.Unlock()
	for _, f := range slices.Backward(sharedServers.stops) {
		f()
	}
}

// onceFor makes start run once per package run, with the argument of the
// first call: later calls get the same server, or the same error. Servers
// that are slow to start are shared this way.
func onceFor[A, T any](start func(A) (T, error)) func(A) (T, error) {
	var (
		once sync.Once
		v    T
		err  error
	)
	return func(a A) (T, error) {
		once.Do(func() { v, err = start(a) })
		return v, err
	}
}

// shared is a server that start starts once per package run (see onceFor)
// with the binary bin finds (or skips the test without); every test that
// uses it fails if it did not start.
func shared[T any](bin func(testing.TB) string, start func(string) (T, error)) func(*testing.T) T {
	once := onceFor(start)
	return func(t *testing.T) T {
		t.Helper()
		s, err := once(bin(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// events collects a Waiter's reports, for tests that watch a server start.
type events struct {
	mu   sync.Mutex
	errs []string
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Err != nil {
		e.errs = append(e.errs, ev.Err.Error())
	}
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.errs)
}

// bgWait is a Waiter running in the background: its reasons so far, and
// its result once it ends.
type bgWait struct {
	seen *events
	done <-chan error
}

// waitInBackground runs a Waiter on c at 50 attempts a second, as a user
// of "wait" would.
func waitInBackground(t *testing.T, c Checker) *bgWait {
	seen := &events{}
	w := &Waiter{Policy: Policy{MinInterval: 20 * time.Millisecond, MaxInterval: 20 * time.Millisecond}, OnChange: seen.add}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- w.Wait(ctx, []Checker{c})
	}()
	t.Cleanup(func() { cancel(); <-finished })
	return &bgWait{seen: seen, done: done}
}

// waitWhileRefused starts waiting for c before its server runs, as a
// user's wait may start before the server, and returns once the wait has
// reported the connection refused.
func waitWhileRefused(t *testing.T, c Checker) *bgWait {
	t.Helper()
	bg := waitInBackground(t, c)
	bg.saw(t, "connection refused")
	return bg
}

// saw waits until the Waiter has reported a reason containing s.
func (b *bgWait) saw(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range b.seen.list() {
			if strings.Contains(e, s) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no reason mentioning %q; seen: %q", s, b.seen.list())
}

// ready waits for the Waiter to end, and fails the test unless it ended
// ready; when says what the test did last.
func (b *bgWait) ready(t *testing.T, when string) {
	t.Helper()
	if err := <-b.done; err != nil {
		t.Fatalf("%s: %v (reasons seen: %q)", when, err, b.seen.list())
	}
}

// writeCert writes a self-signed server certificate for the name
// "initbox.test" into dir as server.crt and server.key (PEM). The
// certificate is its own CA: server.crt is also the CA file.
func writeCert(dir string) error {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "initbox.test"},
		DNSNames:     []string{"initbox.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, key := testcert.Issue(tmpl, nil, nil)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}
