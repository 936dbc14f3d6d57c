package processtest

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// faultBody is what the fault servers send, or fail to send, of model.bin.
var faultBody = bytes.Repeat([]byte("model "), 16<<10)

// serveModel serves faultBody whole, for the servers that fail before
// they succeed.
var serveModel = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Write(faultBody)
})

// fetchFaults are run as `initbox fetch --timeout 2s --stall-timeout 300ms
// -o DIR/model.bin ARGS...`; flags in ARGS come later and so win.
func fetchFaults() []fault {
	const name = "/model.bin"
	url := func(base string) []string { return []string{base + name} }
	return []fault{
		{"http reset mid-body", func(t *testing.T) []string {
			return url(faults.ResetMidBody(t, faultBody, 1000).URL)
		}, cli.ExitTimeout, "timed out.*connection reset by peer"},
		{"http stall before headers", func(t *testing.T) []string {
			return url(faults.StallBeforeHeaders(t).URL)
		}, cli.ExitTimeout, "timed out.*timeout awaiting response headers"},
		{"http stall after headers", func(t *testing.T) []string {
			return url(faults.StallAfterHeaders(t, len(faultBody)).URL)
		}, cli.ExitTimeout, "timed out.*no data received for the stall timeout"},
		{"http drip", func(t *testing.T) []string {
			return url(faults.Drip(t, faultBody, 50*time.Millisecond).URL)
		}, cli.ExitTimeout, `timed out.*the deadline passed with \d+ of 98304 bytes fetched`},
		{"http lying content-length", func(t *testing.T) []string {
			return url(faults.LyingLength(t, []byte("short"), 1000).URL)
		}, cli.ExitTimeout, "timed out.*unexpected EOF"},
		{"http 503 burst, then the file", func(t *testing.T) []string {
			b := faults.NewBurst(t, 2, http.StatusServiceUnavailable, serveModel)
			return append([]string{"--timeout", "30s", "--sha256", testfiles.SHA256(faultBody)}, url(b.URL)...)
		}, cli.ExitOK, "(?s)retrying.*status 503.*msg=downloaded.*sha256=" + testfiles.SHA256(faultBody)},
		{"http 503 forever", func(t *testing.T) []string {
			return url(faults.NewBurst(t, 1<<30, http.StatusServiceUnavailable, nil).URL)
		}, cli.ExitTimeout, `timed out.*last: status 503 Service Unavailable`},
		{"http 429 with Retry-After, then the file", func(t *testing.T) []string {
			b := faults.NewThrottle(t, 1, "1", serveModel)
			return append([]string{"--timeout", "30s", "--sha256", testfiles.SHA256(faultBody)}, url(b.URL)...)
		}, cli.ExitOK, `(?s)retrying.*Retry-After 1.*msg=downloaded`},
		{"http 429 with Retry-After forever", func(t *testing.T) []string {
			return url(faults.NewThrottle(t, 1<<30, "1", nil).URL)
		}, cli.ExitTimeout, `timed out.*status 429 Too Many Requests \(Retry-After 1\)`},
		{"http garbage", func(t *testing.T) []string {
			return url(faults.RawResponse(t, "SSH-2.0-OpenSSH_9.2\r\n"))
		}, cli.ExitTimeout, "timed out.*malformed HTTP response"},
		{"tls wrong name", tlsFault(faults.WrongName, name), cli.ExitFailed, "msg=failed.*cannot validate certificate for 127.0.0.1"},
		{"tls expired", tlsFault(faults.Expired, name), cli.ExitFailed, "msg=failed.*certificate has expired"},
		{"tcp accept-and-close", func(t *testing.T) []string {
			return url("http://" + faults.AcceptClose(t))
		}, cli.ExitTimeout, "timed out.*last: the server closed the connection without answering"},
		{"tcp full backlog", func(t *testing.T) []string {
			return url("http://" + faults.FullBacklog(t))
		}, cli.ExitTimeout, "timed out.*i/o timeout"},
		{"http 404", func(t *testing.T) []string {
			return url(testfiles.Server(t, nil).URL)
		}, cli.ExitFailed, `msg=failed.*status 404 Not Found, want 200`},
		{"http 404 with --retry-not-found", func(t *testing.T) []string {
			return append([]string{"--retry-not-found"}, url(testfiles.Server(t, nil).URL)...)
		}, cli.ExitTimeout, `timed out.*last: status 404 Not Found`},
	}
}

// TestFetchFaultMatrix runs fetch against every fault: each must end with
// the right exit code inside its deadline, name the fault, keep the old
// file byte for byte, leave no stray file and no goroutine or descriptor.
func TestFetchFaultMatrix(t *testing.T) {
	runInitbox(t, "check", "file:///") // starts the signal goroutine for good
	old := []byte("the old model, which must survive\n")
	for _, f := range fetchFaults() {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "model.bin")
			if err := os.WriteFile(dest, old, 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(dest)
			args := f.args(t)
			g0, fd0 := resources(t)

			start := time.Now()
			code, _, _, stderr := runInitbox(t, append([]string{"fetch", "--timeout", "2s", "--stall-timeout", "300ms", "-o", dest}, args...)...)
			took := time.Since(start)
			t.Logf("exit %d after %v", code, took.Round(10*time.Millisecond))
			if took > 15*time.Second {
				t.Errorf("fetch took %v: past the deadline, it hung", took)
			}
			// Retries pause longer each time and are logged when their
			// reason changes: a few lines a second at most.
			if n := strings.Count(stderr, "level=INFO"); n > 6 {
				t.Errorf("%d lines in 1 s: retried without a growing pause, or logged every attempt:\n%s", n, stderr)
			}
			if code != f.code || !regexp.MustCompile(f.want).MatchString(stderr) {
				t.Errorf("exit %d, want %d with %q in:\n%s", code, f.code, f.want, stderr)
			}
			if code == cli.ExitOK {
				assertFileIs(t, dest, faultBody)
			} else {
				assertFileIs(t, dest, old)
				if after, err := os.Stat(dest); err != nil || !os.SameFile(before, after) {
					t.Errorf("%s was replaced", dest)
				}
			}
			assertNoStrayFiles(t, dir, "model.bin")

			if g, fd := settled(t, g0, fd0); g > g0 || fd > fd0 {
				buf := make([]byte, 1<<16)
				t.Errorf("leak: goroutines %d -> %d, descriptors %d -> %d\n%s", g0, g, fd0, fd, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

func assertFileIs(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes (%v), want %d bytes: %.40q", path, len(got), err, len(want), want)
	}
}

// assertNoStrayFiles checks that dir holds the destination name and at
// most its manifest and a resumable partial download (data with its
// sidecar): no temporary file.
func assertNoStrayFiles(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{name: true, "." + name + ".initbox.json": true}
	partial := "." + name + ".initbox-partial"
	_, errData := os.Stat(filepath.Join(dir, partial))
	_, errSidecar := os.Stat(filepath.Join(dir, partial+".json"))
	if errData == nil && errSidecar == nil {
		allowed[partial], allowed[partial+".json"] = true, true
	}
	for _, e := range ents {
		if !allowed[e.Name()] {
			t.Errorf("stray file left in %s: %s", dir, e.Name())
		}
	}
}
