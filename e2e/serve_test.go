package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeHealthcheck runs examples/compose/serve.yml: deps is initbox
// serve checking app, and its Docker healthcheck asks /readyz with
// initbox check. deps must become healthy (so web, which depends on it,
// starts), then unhealthy once app breaks, its healthcheck output naming
// app's failing /healthz.
func TestServeHealthcheck(t *testing.T) {
	t.Parallel()
	p, deps := up(t, "deps", "examples/compose/serve.yml")
	waitHealth(t, deps, "healthy")
	if code := mustDocker(t, "wait", p.id("web")); code != "0" {
		t.Errorf("web, started once deps was healthy: exit %s, want 0\n%s", code, p.logs("web"))
	}

	mustDocker(t, "exec", p.id("app"), "/app", "break")
	waitHealth(t, deps, "unhealthy")
	log := healthLog(t, deps)
	last := log[len(log)-1]
	if last.ExitCode != 1 || !strings.Contains(last.Output, "status 503") || !strings.Contains(last.Output, "http://app:8080/healthz") {
		t.Errorf("last check: exit %d, output %q; want exit 1, the 503 of /readyz and the target that failed", last.ExitCode, last.Output)
	}
	// Logged: the change of state, not every check (one a second).
	logs := p.logs("deps")
	if n := strings.Count(logs, "status 503"); n != 1 {
		t.Errorf("deps logged the 503 %d times, want once:\n%s", n, logs)
	}
}

// TestServeCurlAndStop publishes serve's port to the host's loopback,
// where Debian's curl asks it; then docker stop (SIGTERM) must end it at
// once with exit 0.
func TestServeCurlAndStop(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("no curl (scripts/deps.sh installs it): %v", err)
	}
	id := mustDocker(t, "run", "-d", "-p", "127.0.0.1::9900", images.initbox,
		"serve", "--listen", ":9900", "file:///initbox", "file:///not-there")
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	addr := mustDocker(t, "port", id, "9900/tcp")
	addr = strings.Fields(addr)[0] // one line per address family

	var out string
	eventually(t, healthTimeout, "/readyz answers", func() (bool, string) {
		b, err := exec.Command(curl, "-s", "-w", "\n%{http_code}", "http://"+addr+"/readyz").Output()
		out = string(b)
		// A 503 comes before the first checks end too: wait for them.
		return err == nil && strings.HasSuffix(out, "\n503") && !strings.Contains(out, "not checked yet"), out
	})
	if !strings.Contains(out, "file:///not-there: stat /not-there: no such file or directory") {
		t.Errorf("/readyz: %q, want the missing file and why", out)
	}
	b, err := exec.Command(curl, "-s", "-w", "\n%{http_code}", "http://"+addr+"/metrics").Output()
	if err != nil || !strings.Contains(string(b), `initbox_target_ready{target="file:///initbox"} 1`) {
		t.Errorf("/metrics: %v %q", err, b)
	}

	start := time.Now()
	mustDocker(t, "stop", "-t", "30", id)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("docker stop took %v: serve did not end on SIGTERM", took)
	}
	if code := inspect(t, id, "{{.State.ExitCode}}"); code != "0" {
		t.Errorf("serve stopped by SIGTERM: exit %s, want 0", code)
	}
}

// TestTerminationMessage bind-mounts a file as /dev/termination-log, as
// the kubelet does, and reads back what initbox left in it.
func TestTerminationMessage(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	path := filepath.Join(t.TempDir(), "termination-log")
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"timed out", []string{"wait", "--timeout", "2s", "tcp://127.0.0.1:1", "http://app:s3cr3tpw@127.0.0.1:2/ready?token=t0ken"}, 124,
			[]string{"timed out elapsed=2", "not_ready=2 targets=2\n", "not ready target=tcp://127.0.0.1:1 attempts=", `last_error="dial tcp 127.0.0.1:1: connect: connection refused"`, "http://app:xxxxx@127.0.0.1:2/ready?token=xxxxx"}},
		{"not healthy", []string{"check", "file:///missing"}, 1,
			[]string{`not ready target=file:///missing error="stat /missing: no such file or directory"`}},
		{"usage error", []string{"wait", "--timeout", "soon", "tcp://db:5432"}, 2,
			[]string{"soon"}},
		{"command not found", []string{"wait", "file:///", "--", "/no/such/app"}, 127,
			[]string{"/no/such/app"}},
		{"success", []string{"wait", "file:///initbox"}, 0,
			[]string{"all 1 target ready elapsed="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Written by the image's user (65532), as the kubelet's file is.
			if err := os.WriteFile(path, nil, 0o666); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, 0o666)
			args := append([]string{"run", "--rm", "--network", "none", "-v", path + ":/dev/termination-log", images.initbox}, tt.args...)
			r := docker(t, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r.out())
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			msg := string(b)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("termination message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "s3cr3tpw") || strings.Contains(msg, "t0ken") || len(b) > 4096 {
				t.Errorf("termination message (%d bytes) shows a secret:\n%s", len(b), msg)
			}
			if tt.code == 0 && strings.Count(msg, "\n") != 1 {
				t.Errorf("success: %q, want one line", msg)
			}
		})
	}
}
