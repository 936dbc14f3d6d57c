package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// healthTimeout is long because the machine may be busy; a healthy app
// with a 1 s interval takes a second or two.
const healthTimeout = 90 * time.Second

// TestHealthcheck runs examples/compose/healthcheck.yml: the app's image
// has no shell, only the app and /initbox, and its healthcheck is
// ["CMD", "/initbox", "check", "http://localhost:8080/healthz"]. The app
// must become healthy (and web, which waits for that, must start and
// succeed), then unhealthy once its /healthz fails.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	p, app := up(t, "app", "examples/compose/healthcheck.yml")
	waitHealth(t, app, "healthy")

	web := p.id("web")
	if code := mustDocker(t, "wait", web); code != "0" {
		t.Errorf("web, started once app was healthy: exit %s, want 0\n%s", code, p.logs("web"))
	}

	mustDocker(t, "exec", app, "/app", "break")
	waitHealth(t, app, "unhealthy")
	// unhealthy must come from initbox check saying why, not from a
	// healthcheck that could not run at all.
	log := healthLog(t, app)
	last := log[len(log)-1]
	if last.ExitCode != 1 || !strings.Contains(last.Output, "status 503") {
		t.Errorf("last check: exit %d, output %q; want exit 1 and the 503 status", last.ExitCode, last.Output)
	}
}

type healthCheck struct {
	ExitCode int
	Output   string
}

func healthLog(t *testing.T, id string) []healthCheck {
	t.Helper()
	var log []healthCheck
	if err := json.Unmarshal([]byte(inspect(t, id, "{{json .State.Health.Log}}")), &log); err != nil || len(log) == 0 {
		t.Fatalf("no health checks logged: %v", err)
	}
	return log
}

// waitHealth waits for a container's health status to become want.
func waitHealth(t *testing.T, id, want string) {
	t.Helper()
	eventually(t, healthTimeout, "health "+want, func() (bool, string) {
		got := inspect(t, id, "{{.State.Health.Status}}")
		return got == want, "status " + got + "; last checks: " + inspect(t, id, "{{json .State.Health.Log}}")
	})
}
