package processtest

import (
	"bytes"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/faults"
)

// resources counts what a leak would leave behind: goroutines and open
// file descriptors of this process.
func resources(t *testing.T) (goroutines, fds int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return runtime.NumGoroutine(), len(ents)
}

// settled waits briefly for goroutines that are finishing to finish, so
// that only real leaks are counted.
func settled(t *testing.T, goroutines, fds int) (int, int) {
	t.Helper()
	var g, f int
	for range 100 {
		g, f = resources(t)
		if g <= goroutines && f <= fds {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return g, f
}

type fault struct {
	name string
	args func(t *testing.T) []string
	code int
	want string // a regular expression stderr must match
}

func waitFaults() []fault {
	body := bytes.Repeat([]byte("x"), 64<<10)
	return []fault{
		{"http reset mid-body", func(t *testing.T) []string {
			return []string{"--expect-body", "never", faults.ResetMidBody(t, body, 1000).URL}
		}, cli.ExitTimeout, "connection reset"},
		{"http stall before headers", func(t *testing.T) []string {
			return []string{faults.StallBeforeHeaders(t).URL}
		}, cli.ExitTimeout, "no answer within 500ms"},
		{"http drip", func(t *testing.T) []string {
			return []string{"--expect-body", "y", faults.Drip(t, body, 50*time.Millisecond).URL}
		}, cli.ExitTimeout, "no answer within 500ms"},
		{"http lying content-length", func(t *testing.T) []string {
			return []string{"--expect-body", "y", faults.LyingLength(t, []byte("short"), 1000).URL}
		}, cli.ExitTimeout, "unexpected EOF"},
		{"http 503 forever", func(t *testing.T) []string {
			return []string{faults.NewBurst(t, 1<<30, 503, nil).URL}
		}, cli.ExitTimeout, "status 503"},
		{"http garbage", func(t *testing.T) []string {
			return []string{faults.RawResponse(t, "SSH-2.0-OpenSSH_9.2\r\n")}
		}, cli.ExitTimeout, "malformed HTTP"},
		{"tls wrong name", tlsFault(faults.WrongName, ""), cli.ExitTimeout, "cannot validate certificate for 127.0.0.1"},
		{"tls expired", tlsFault(faults.Expired, ""), cli.ExitTimeout, "expired"},
		{"dns servfail", dnsFault(faults.ServFail), cli.ExitTimeout, "SERVFAIL"},
		{"dns drops queries", dnsFault(faults.Drop), cli.ExitTimeout, "no answer from"},
		{"dns truncates, tcp fails", dnsFault(faults.Truncate), cli.ExitTimeout, "truncated"},
		{"dns wrong id", dnsFault(faults.WrongID), cli.ExitTimeout, "did not match the question or ID"},
		{"dns nxdomain", dnsFault(faults.NXDomain), cli.ExitTimeout, "NXDOMAIN"},
		{"tcp full backlog", func(t *testing.T) []string {
			return []string{"tcp://" + faults.FullBacklog(t)}
		}, cli.ExitTimeout, "no answer within 500ms"},
		{"http on accept-and-close", func(t *testing.T) []string {
			return []string{"http://" + faults.AcceptClose(t) + "/"}
		}, cli.ExitTimeout, `last_error="the server closed the connection without answering"`},
	}
}

// dnsFault asks for db.test. from a DNS server with fault mode.
func dnsFault(mode faults.DNSFault) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		return []string{"--dns-server", faults.NewDNS(t, mode).Addr, "dns://db.test."}
	}
}

// tlsFault asks for path from the HTTPS server start makes, trusting its
// CA: the only fault left is the one the server was made with.
func tlsFault(start func(testing.TB) *faults.TLSServer, path string) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		s := start(t)
		return []string{"--ca-file", s.CAFile, s.URL + path}
	}
}

// TestWaitAndCheckFaultMatrix runs wait and check against every fault: each
// must end with the right exit code inside its deadline, name the fault,
// and leave no goroutine or descriptor behind.
func TestWaitAndCheckFaultMatrix(t *testing.T) {
	// The first signal.Notify starts the runtime's one signal goroutine
	// for good: start it before counting.
	runInitbox(t, "check", "file:///")
	for _, f := range waitFaults() {
		t.Run(f.name, func(t *testing.T) {
			args := f.args(t)
			g0, fd0 := resources(t)

			start := time.Now()
			code, _, _, stderr := runInitbox(t, append([]string{"wait", "--timeout", "2s", "--attempt-timeout", "500ms"}, args...)...)
			// Generous: the point is that it ends, not how fast (the
			// machine may be loaded; speed is measured in bench/).
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("wait took %v with a 2 s timeout", took)
			}
			if strings.Count(stderr, "msg=waiting") > 2 {
				t.Errorf("wait logged every attempt, not only changes:\n%s", stderr)
			}
			if code != f.code || !regexp.MustCompile(f.want).MatchString(stderr) {
				t.Errorf("wait: exit %d, want %d with %q in:\n%s", code, f.code, f.want, stderr)
			}

			code, _, _, stderr = runInitbox(t, append([]string{"check", "--timeout", "300ms"}, args...)...)
			if code != cli.ExitFailed {
				t.Errorf("check: exit %d, want %d:\n%s", code, cli.ExitFailed, stderr)
			}

			if g, fd := settled(t, g0, fd0); g > g0 || fd > fd0 {
				buf := make([]byte, 1<<16)
				t.Errorf("leak: goroutines %d -> %d, descriptors %d -> %d\n%s", g0, g, fd0, fd, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}
