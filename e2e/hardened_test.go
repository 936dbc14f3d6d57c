package e2e

import (
	"strings"
	"testing"
	"time"
)

// stopBound is the "docker stop exits in under 1 s". It is meant
// against Docker's 10 s grace period: a process that ignored SIGTERM
// would be killed at 10 s with exit 137. It is measured from just before
// "docker stop" starts to the exit time the engine records, so it also
// holds the CLI's start and the API call; on an idle machine the whole
// takes ~30 ms, so 1 s leaves a busy one plenty of room.
const stopBound = time.Second

// TestHardenedRuntime runs examples/compose/hardened.yml: initbox waits
// for db with a read-only root filesystem, as user 65532, with no
// capabilities and no shell in the image.
func TestHardenedRuntime(t *testing.T) {
	t.Parallel()
	t.Run("waits and succeeds", func(t *testing.T) {
		t.Parallel()
		p := newProject(t, "examples/compose/hardened.yml")
		r := p.run("run", "--rm", "-T", "wait-for-db")
		if r.code != 0 {
			t.Fatalf("wait-for-db: exit %d, want 0\n%s", r.code, r.out())
		}
		// Not asserting a "waiting" line: on a busy machine compose may
		// start initbox after db's 2 s delay is over.
		if want := "msg=ready target=tcp://db:5432"; !strings.Contains(r.out(), want) {
			t.Errorf("no %q in\n%s", want, r.out())
		}
	})
	t.Run("docker stop", func(t *testing.T) {
		t.Parallel()
		p := newProject(t, "examples/compose/hardened.yml")
		p.setenv("DB_DELAY", "1h")
		p.must("up", "-d")
		id := p.id("wait-for-db")
		eventually(t, time.Minute, "initbox waiting", func() (bool, string) {
			logs := p.logs("wait-for-db")
			return strings.Contains(logs, "msg=waiting"), logs
		})
		checkHardened(t, id)

		start := time.Now()
		mustDocker(t, "stop", id) // the default 10 s grace period
		finished, err := time.Parse(time.RFC3339Nano, inspect(t, id, "{{.State.FinishedAt}}"))
		if err != nil {
			t.Fatal(err)
		}
		took := finished.Sub(start)
		t.Logf("docker stop: initbox exited %v after the stop began", took.Round(time.Millisecond))
		if code := inspect(t, id, "{{.State.ExitCode}}"); code != "143" {
			t.Errorf("exit code %s, want 143 (SIGTERM handled; 137 is the kill)", code)
		}
		if took >= stopBound {
			t.Errorf("initbox exited %v after docker stop began, want under %v", took, stopBound)
		}
		if logs := p.logs("wait-for-db"); !strings.Contains(logs, "interrupted by SIGTERM") {
			t.Errorf("no word of SIGTERM in the log:\n%s", logs)
		}
	})
}

// checkHardened checks that compose applied the example's settings, and
// that there is no shell to exec into.
func checkHardened(t *testing.T, id string) {
	t.Helper()
	got := inspect(t, id, "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}}")
	if want := "true 65532 [ALL] [no-new-privileges:true]"; got != want {
		t.Errorf("read-only, user, dropped capabilities, security options: got %q, want %q", got, want)
	}
	r := docker(t, "exec", id, "/bin/sh", "-c", "true")
	if r.code == 0 || !strings.Contains(r.out(), "no such file or directory") {
		t.Errorf("exec /bin/sh: exit %d, want failure for lack of a shell\n%s", r.code, r.out())
	}
}
