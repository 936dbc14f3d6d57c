package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInitPattern runs examples/compose/init-pattern.yml: init waits for
// db by TCP and DNS, fetches index.html into the named volume and renders
// app.conf into it; app starts only after init completed successfully and
// reads both. Running init again changes nothing in the volume (same
// inodes, mtimes, bytes) and, the checksum matching, asks the file server
// for nothing.
func TestInitPattern(t *testing.T) {
	t.Parallel()
	requireFetchRender(t)
	initVolume(t, "examples/compose/init-pattern.yml", []string{"target=tcp://db:5432", "target=dns://db"}, nil)
}

// TestRunSpec runs examples/compose/run.yml: one init service runs
// `initbox run` on a spec file (wait for db by TCP and DNS in parallel,
// fetch, render), app starts after it and reads both files, and a second
// run of init changes nothing and asks the file server for nothing.
func TestRunSpec(t *testing.T) {
	t.Parallel()
	requireFetchRender(t)
	initVolume(t, "examples/compose/run.yml",
		[]string{"target=tcp://db:5432", "target=dns://db", "msg=done step=config"},
		[]string{`1\s+db\s+parallel\s+ok`, `2\s+page\s+fetch\s+ok`, `3\s+config\s+render\s+ok`})
}

// initVolume starts file, whose init service fills the volume app reads,
// and checks what app read, that init's log holds each of logged and a
// summary row matching each of rows, and that a second run of init changes
// nothing.
func initVolume(t *testing.T, file string, logged, rows []string) {
	t.Helper()
	p, app := up(t, "app", file)
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
	for _, want := range logged {
		if !strings.Contains(init, want) {
			t.Errorf("init's log does not show %q:\n%s", want, init)
		}
	}
	for _, row := range rows {
		if !regexp.MustCompile(row).MatchString(init) {
			t.Errorf("init's summary has no row %s:\n%s", row, init)
		}
	}
	secondRun(t, p)
}

// secondRun runs init again: it must change nothing in the volume and,
// the checksum matching, ask the file server for nothing.
func secondRun(t *testing.T, p *project) {
	t.Helper()
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

// volume describes every file in the shared volume: names, inodes,
// mtimes, sizes, modes, owners and sha256, as the app sees them. A temp
// file left behind shows up in the names.
func volume(t *testing.T, p *project) string {
	t.Helper()
	var b strings.Builder
	ls := p.must("run", "--rm", "-T", "--no-deps", "app", "ls", "/shared").stdout
	for _, name := range strings.Fields(ls) {
		if strings.Contains(name, "initbox-tmp") {
			t.Errorf("a temp file is left in the volume: %s", name)
		}
		stat := p.must("run", "--rm", "-T", "--no-deps", "app", "stat", "/shared/"+name).stdout
		b.WriteString(stat)
	}
	return b.String()
}

// fileRequests counts the requests the file server has logged.
func fileRequests(t *testing.T, p *project) int {
	t.Helper()
	return strings.Count(p.logs("files"), "request GET ")
}
