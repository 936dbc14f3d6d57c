package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunSpec runs examples/compose/run.yml: one init service runs
// `initbox run` on a spec file (wait for db by TCP and DNS in parallel,
// fetch, render), app starts after it and reads both files, and a second
// run of init changes nothing and asks the file server for nothing.
func TestRunSpec(t *testing.T) {
	t.Parallel()
	requireFetchRender(t)
	p := newProject(t, "examples/compose/run.yml")
	p.must("up", "-d")
	app := p.id("app")
	if code := mustDocker(t, "wait", app); code != "0" {
		t.Fatalf("app: exit %s, want 0\ninit:\n%s\napp:\n%s", code, p.logs("init"), p.logs("app"))
	}
	site, err := os.ReadFile(filepath.Join(root, "examples/compose/site/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	out := p.logs("app")
	for _, want := range []string{string(site), "db_host = db\n", "db_port = 5432\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("app did not read %q; it printed:\n%s", want, out)
		}
	}
	init := p.logs("init")
	for _, want := range []string{"target=tcp://db:5432", "target=dns://db", "msg=done step=config"} {
		if !strings.Contains(init, want) {
			t.Errorf("init's log does not show %q:\n%s", want, init)
		}
	}
	for _, row := range []string{`1\s+db\s+parallel\s+ok`, `2\s+page\s+fetch\s+ok`, `3\s+config\s+render\s+ok`} {
		if !regexp.MustCompile(row).MatchString(init) {
			t.Errorf("init's summary has no row %s:\n%s", row, init)
		}
	}

	before, requests := volume(t, p), fileRequests(t, p)
	if r := p.run("run", "--rm", "-T", "init"); r.code != 0 {
		t.Fatalf("init, second run: exit %d, want 0\n%s", r.code, r.out())
	}
	if after := volume(t, p); after != before {
		t.Errorf("the second run of init changed the volume:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := fileRequests(t, p); n != requests {
		t.Errorf("the second run made %d requests to the file server, want none (the checksum matches)", n-requests)
	}
}
