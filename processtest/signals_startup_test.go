package processtest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSignalDuringStartupIsHandled sends SIGTERM while fetch still reads
// its options — a bearer token from a FIFO that is slow to fill — before
// any download: initbox must end by its own handler with 143, not die of
// the signal, which as PID 1 of a container means exit 2.
func TestSignalDuringStartupIsHandled(t *testing.T) {
	dir := t.TempDir()
	fifo, dest := filepath.Join(dir, "token"), filepath.Join(dir, "f")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // no answer until the client goes
	}))
	defer srv.Close()
	cmd := exec.Command(binary, "fetch", "--bearer-token-file", fifo, "-o", dest, srv.URL+"/f")
	stderr := startCapturing(t, cmd)
	w := openWhenReading(t, fifo)
	cmd.Process.Signal(syscall.SIGTERM)
	w.WriteString("token\n")
	w.Close()
	if ws := waitEnd(t, cmd, stderr); ws.Signaled() || ws.ExitStatus() != 143 {
		t.Errorf("ended with %v, want exit 143 from initbox's handler; stderr:\n%s", cmd.ProcessState, stderr.String())
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("the file was fetched after SIGTERM")
	}
}

// openWhenReading opens the FIFO for writing once a reader has it open.
func openWhenReading(t *testing.T, fifo string) *os.File {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			t.Fatalf("nobody opened %s to read: %v", fifo, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
