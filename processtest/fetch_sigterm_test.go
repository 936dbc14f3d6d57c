package processtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testregistry"
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
	lineWith(t, stderr, "msg=progress")
	cmd.Process.Signal(syscall.SIGTERM)
	lineWith(t, stderr, `error="interrupted by SIGTERM with`)
	waitExit(t, cmd, 143, 5*time.Second)
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

func TestFetchOCISIGTERMKeepsOldFiles(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "m", "1", testregistry.File{Name: "w.bin", Data: []byte("old weights")})
	dir := t.TempDir()
	args := []string{"fetch", "--plain-http", "--progress-interval", "50ms", "-o", dir, reg.Ref("m:1")}
	if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil {
		t.Fatalf("first pull: %v\n%s", err, out)
	}
	data := bytes.Repeat([]byte("new weights "), 1<<20)
	reg.PushArtifact(t, "m", "1", testregistry.File{Name: "w.bin", Data: data})
	reg.Proxy.Hold(testregistry.Digest(data), 1<<20)

	cmd := exec.Command(binary, args...)
	stderr := startWithStderr(t, cmd)
	lineWith(t, stderr, "msg=progress")
	cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 143, 10*time.Second)
	if got, _ := os.ReadFile(filepath.Join(dir, "w.bin")); string(got) != "old weights" {
		t.Errorf("w.bin holds %d bytes, want the old content", len(got))
	}
	// The next run resumes where the interrupted one stopped.
	reg.Proxy.Hold(testregistry.Digest(data), -1)
	reg.Proxy.Reset()
	if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil || !strings.Contains(string(out), "msg=resumed") {
		t.Fatalf("second pull: %v, want resumed\n%s", err, out)
	}
	if reg.Proxy.Count("Range:bytes=") != 1 {
		t.Errorf("requests: %q, want one Range", reg.Proxy.Requests())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "w.bin")); !bytes.Equal(got, data) {
		t.Errorf("w.bin holds %d bytes, want the new %d", len(got), len(data))
	}
}
