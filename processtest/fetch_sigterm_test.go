package processtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFetchSIGTERMKeepsOldFile(t *testing.T) {
	chunk := make([]byte, 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1073741824")
		w.Header().Set("ETag", `"big"`)
		w.Write(chunk)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // then nothing more, until the client goes
	}))
	defer srv.Close()
	dir := t.TempDir()
	dest := filepath.Join(dir, "model.bin")
	os.WriteFile(dest, []byte("old model"), 0o644)

	cmd := exec.Command(binary, "fetch", "--progress-interval", "50ms", "-o", dest, srv.URL+"/model.bin", "--", "/bin/true")
	stderr := startWithStderr(t, cmd)
	waitForLine(t, stderr, "msg=progress")
	cmd.Process.Signal(syscall.SIGTERM)
	waitForLine(t, stderr, `error="interrupted by SIGTERM with`)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	expectExit(t, cmd, done, 143, 5*time.Second)
	if got, _ := os.ReadFile(dest); string(got) != "old model" {
		t.Errorf("%s holds %d bytes, want the old content", dest, len(got))
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if name := e.Name(); name != "model.bin" && !strings.Contains(name, ".initbox-partial") {
			t.Errorf("%s left behind", name)
		}
	}
}
