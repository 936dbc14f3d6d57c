package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/clitest"
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
		{"image without --extract", []string{"--docker-config", good, "--platform", "linux/amd64", "-o", t.TempDir(), reg.Ref("app/img:1")}, cli.ExitFailed, "give --extract"},
		{"bad reference", []string{"-o", t.TempDir(), "oci://" + reg.Host + "/App:1"}, cli.ExitUsage, "bad repository"},
		{"no -o", []string{reg.Ref("app/cfg:1")}, cli.ExitUsage, "no destination"},
		{"bad platform", []string{"--platform", "linux", "-o", t.TempDir(), reg.Ref("app/cfg:1")}, cli.ExitUsage, "os/arch"},
		{"oci flag on https", []string{"--oci-file", "a", "-o", filepath.Join(t.TempDir(), "f"), "https://" + reg.Host + "/f"}, cli.ExitUsage, "--oci-file applies to oci://"},
		{"checksum", []string{"--sha256", strings.Repeat("0", 64), "-o", t.TempDir(), reg.Ref("app/cfg:1")}, cli.ExitUsage, "pin one with @sha256"},
		{"anonymous", []string{"-o", t.TempDir(), reg.Ref("app/cfg:1")}, cli.ExitFailed, "no credentials for it were found"},
		{"unknown tag", []string{"--docker-config", good, "-o", t.TempDir(), reg.Ref("app/cfg:2")}, cli.ExitFailed, "has no tag 2"},
		{"missing config", []string{"--docker-config", filepath.Join(dir, "nope.json"), "-o", t.TempDir(), reg.Ref("app/cfg:1")}, cli.ExitUsage, "nope.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _, stderr := clitest.Run(t, append(append([]string{"fetch"}, tls...), tc.args...)...)
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
