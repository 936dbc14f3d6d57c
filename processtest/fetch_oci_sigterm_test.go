package processtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testregistry"
)

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
	waitForLine(t, stderr, "msg=progress")
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	expectExit(t, cmd, done, 143, 10*time.Second)
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
