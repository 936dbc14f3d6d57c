package cli

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

// noDockerConfig keeps the tests from reading the user's Docker config.
func noDockerConfig(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

func TestFetchOCIExitCodes(t *testing.T) {
	noDockerConfig(t)
	reg := testregistry.Start(t, testregistry.Config{TLS: true, Auth: true})
	reg.PushArtifact(t, "app/cfg", "1", testregistry.File{Name: "app.conf", Data: []byte("x=1")})
	reg.PushImage(t, "app/img", "1", testregistry.Platform{OS: "linux", Architecture: "amd64"},
		testregistry.Gzip(testregistry.Tar(t, testregistry.Entry{Name: "usr/bin/tool", Body: "tool", Mode: 0o755})))
	good := reg.DockerConfig(t, reg.User, reg.Pass)
	dir := t.TempDir()
	tls := []string{"--ca-file", reg.CAFile, "--timeout", "60s"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"artifact", []string{"--docker-config", good, "-o", dir, reg.Ref("app/cfg:1")}, 0, ""},
		{"one path", []string{"--docker-config", good, "--platform", "linux/amd64", "--oci-path", "/usr/bin/tool", "-o", t.TempDir(), reg.Ref("app/img:1")}, 0, ""},
		{"image without --extract", []string{"--docker-config", good, "--platform", "linux/amd64", "-o", t.TempDir(), reg.Ref("app/img:1")}, ExitFailed, "give --extract"},
		{"bad reference", []string{"-o", t.TempDir(), "oci://" + reg.Host + "/App:1"}, ExitUsage, "bad repository"},
		{"no -o", []string{reg.Ref("app/cfg:1")}, ExitUsage, "no destination"},
		{"bad platform", []string{"--platform", "linux", "-o", t.TempDir(), reg.Ref("app/cfg:1")}, ExitUsage, "os/arch"},
		{"oci flag on https", []string{"--oci-file", "a", "-o", filepath.Join(t.TempDir(), "f"), "https://" + reg.Host + "/f"}, ExitUsage, "--oci-file applies to oci://"},
		{"checksum", []string{"--sha256", strings.Repeat("0", 64), "-o", t.TempDir(), reg.Ref("app/cfg:1")}, ExitUsage, "pin one with @sha256"},
		{"anonymous", []string{"-o", t.TempDir(), reg.Ref("app/cfg:1")}, ExitFailed, "no credentials for it were found"},
		{"unknown tag", []string{"--docker-config", good, "-o", t.TempDir(), reg.Ref("app/cfg:2")}, ExitFailed, "has no tag 2"},
		{"missing config", []string{"--docker-config", filepath.Join(dir, "nope.json"), "-o", t.TempDir(), reg.Ref("app/cfg:1")}, ExitUsage, "nope.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _, stderr := runInitbox(t, append(append([]string{"fetch"}, tls...), tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tc.code, tc.want, stderr)
			}
			if strings.Contains(stderr, reg.Pass) {
				t.Errorf("the password appears on stderr:\n%s", stderr)
			}
		})
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "app.conf")); string(got) != "x=1" {
		t.Errorf("app.conf = %q", got)
	}
}

func TestFetchOCISIGTERMKeepsOldFiles(t *testing.T) {
	noDockerConfig(t)
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
