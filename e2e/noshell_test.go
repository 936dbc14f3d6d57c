package e2e

import (
	"strings"
	"testing"
)

// TestNoShellChain runs examples/compose/no-shell.yml: in one read-only,
// non-root container with no shell, initbox waits for db, then execs
// initbox fetch, which execs initbox render, which execs the app. The app
// must start as PID 1 (every step replaced the one before), with the
// rendered config, and pass its initbox healthcheck.
func TestNoShellChain(t *testing.T) {
	t.Parallel()
	requireFetchRender(t)
	p, app := up(t, "app", "examples/compose/no-shell.yml")
	waitHealth(t, app, "healthy")

	logs := p.logs("app")
	for _, want := range []string{
		"target=tcp://db:5432",                    // initbox wait
		"config /run/app/app.conf:\n",             // the app read the rendered file
		"listen = :8080\ndb = db:5432\n",          // rendered from the environment
		"app: serving on :8080 pid=1 uid=65532\n", // exec'd in place, as the user
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q in the app's log:\n%s", want, logs)
		}
	}
	ls := mustDocker(t, "exec", app, "/app", "ls", "/run/app")
	// The two files and nothing else: fetch keeps its manifest in an
	// extended attribute of the file, not beside it.
	want := []string{"app.conf", "app.conf.tmpl"}
	if got := strings.Fields(ls); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("/run/app holds %q, want %q (nothing partial left behind)", got, want)
	}
}
